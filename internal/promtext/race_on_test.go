//go:build race

package promtext

// RaceEnabled (tests only): the race detector changes allocation counts
// (sync.Pool drops items at random under it).
const RaceEnabled = true
