// Package monitors holds roachdog's Datadog monitors (monitor API v1 JSON,
// one per file), embedded in the binary so that `roachdog validate` and
// `roachdog apply` work without the source tree.
package monitors

import "embed"

// FS holds every *.json monitor at its root ("node_dead.json").
//
//go:embed *.json
var FS embed.FS
