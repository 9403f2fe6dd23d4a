// Package promtext reads CockroachDB's Prometheus text payloads
// (/_status/vars) cheaply and turns cumulative series into what a push-based
// backend wants: counter increments and histogram windows between scrapes.
//
// Parsing a whole v23 payload (~800 kB, ~1,550 families) with expfmt costs
// tens of milliseconds, while roachdog sends a few dozen families. ReadParsed
// therefore finds family boundaries with a byte scan while the payload is
// read and keeps only the wanted families' lines, which it then parses.
//
// Everything here is safe for concurrent use: ReadParsed and SelectReader
// share only pools, Counters and Histograms lock.
package promtext
