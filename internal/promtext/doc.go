// Package promtext reads CockroachDB's Prometheus text payloads
// (/_status/vars) cheaply and turns cumulative series into what a push-based
// backend wants: counter increments and histogram windows between scrapes.
//
// Parsing a whole v23 payload (~800 kB, ~1,550 families) with expfmt costs
// tens of milliseconds, while roachdog sends a few dozen families. Select
// therefore finds family boundaries with a byte scan and keeps only the wanted
// families; Parse hands just those lines to expfmt.
//
// Everything here is safe for concurrent use: Select and Parse keep no state,
// Counters and Histograms lock.
package promtext
