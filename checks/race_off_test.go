//go:build !race

package checks

// RaceEnabled: see race_on_test.go.
const RaceEnabled = false
