// Package cluster reaches a CockroachDB cluster: where its nodes are (a
// static list of status URLs, or discovery through SQL that follows nodes
// as they join and leave), its SQL pool, the nodes' HTTP client and the
// status API. Open opens all of them from a Spec.
package cluster

import (
	"context"
	"strings"
)

// Node is one CockroachDB node as roachdog reaches it.
type Node struct {
	// ID is the CockroachDB node id, 0 when not known yet (a static URL whose
	// node has not been scraped).
	ID int
	// StatusURL is the base of the node's HTTP endpoint, e.g.
	// "http://roach1:8080", without a trailing slash.
	StatusURL string
	// Locality holds the node's locality tiers in order (region, zone...).
	Locality []Tier
}

// Tier is one locality tier, e.g. region=us-east1.
type Tier struct {
	Key, Value string
}

// ParseLocality parses CockroachDB's "region=us-east,zone=a" form. Malformed
// tiers (no '=') are skipped rather than failing the whole node.
func ParseLocality(s string) []Tier {
	var tiers []Tier
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			continue
		}
		tiers = append(tiers, Tier{Key: k, Value: v})
	}
	return tiers
}

// Source yields the cluster's current nodes. Implementations must honour
// ctx and may return the last good list together with an error when a
// refresh failed.
type Source interface {
	Nodes(ctx context.Context) ([]Node, error)
}

// Static is a fixed list of nodes.
type Static []Node

// Nodes returns the list.
func (s Static) Nodes(context.Context) ([]Node, error) { return s, nil }
