//go:build race

package checks

// RaceEnabled (tests only): the race detector multiplies memory by 5–10
// and time by 2–20, which the memory and volume tests would measure
// instead of roachdog. They skip under it; `make unit` runs them without.
const RaceEnabled = true
