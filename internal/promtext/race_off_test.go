//go:build !race

package promtext

// RaceEnabled: see race_on_test.go.
const RaceEnabled = false
