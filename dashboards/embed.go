// Package dashboards holds roachdog's Datadog dashboards (dashboard API v1
// JSON), embedded in the binary so that `roachdog validate` and
// `roachdog apply` work without the source tree.
package dashboards

import "embed"

// FS holds every *.json dashboard at its root ("cluster_overview.json").
//
//go:embed *.json
var FS embed.FS
