package ddapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// A metric's tag configuration (Metrics without Limits) is also where a
// distribution's percentile aggregations are turned on:
// GET/POST/PATCH /api/v2/metrics/{metric_name}/tags with
// attributes.include_percentiles (docs.datadoghq.com/api/latest/metrics/,
// "Create a tag configuration", "Update a tag configuration").

// TagConfig is what apply needs of a metric's tag configuration.
type TagConfig struct {
	// Exists is false when the metric has no tag configuration (404).
	Exists             bool
	IncludePercentiles bool
	MetricType         string
}

type tagConfigBody struct {
	Data tagConfigData `json:"data"`
}

type tagConfigData struct {
	ID         string             `json:"id"`
	Type       string             `json:"type"`
	Attributes tagConfigAttribute `json:"attributes"`
}

type tagConfigAttribute struct {
	Tags               *[]string `json:"tags,omitempty"`
	MetricType         string    `json:"metric_type,omitempty"`
	IncludePercentiles *bool     `json:"include_percentiles,omitempty"`
	ExcludeTagsMode    *bool     `json:"exclude_tags_mode,omitempty"`
}

func tagsPath(metric string) string { return "/api/v2/metrics/" + url.PathEscape(metric) + "/tags" }

// GetTagConfig reads a metric's tag configuration; a metric without one
// gives Exists false and no error. Needs metrics_read.
func (c *Client) GetTagConfig(ctx context.Context, metric string) (TagConfig, error) {
	var body tagConfigBody
	err := c.do(ctx, request{method: http.MethodGet, path: tagsPath(metric), idempotent: true}, &body)
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return TagConfig{}, nil
	}
	if err != nil {
		return TagConfig{}, err
	}
	a := body.Data.Attributes
	return TagConfig{Exists: true, IncludePercentiles: a.IncludePercentiles != nil && *a.IncludePercentiles, MetricType: a.MetricType}, nil
}

// EnablePercentiles turns on a distribution's percentile aggregations.
// With a tag configuration already there, only include_percentiles is
// changed (PATCH; its tags stay as they are). Without one, it creates one
// (POST) that keeps every tag queryable: an empty deny-list
// (exclude_tags_mode), since an allow-list would hide the tags it does not
// name. Needs metric_tags_write.
func (c *Client) EnablePercentiles(ctx context.Context, metric string, exists bool) error {
	on := true
	d := tagConfigData{ID: metric, Type: "manage_tags", Attributes: tagConfigAttribute{IncludePercentiles: &on}}
	if exists {
		return c.do(ctx, request{method: http.MethodPatch, path: tagsPath(metric), body: tagConfigBody{d}, idempotent: true}, nil)
	}
	none := []string{}
	d.Attributes.Tags, d.Attributes.MetricType, d.Attributes.ExcludeTagsMode = &none, "distribution", &on
	return c.do(ctx, request{method: http.MethodPost, path: tagsPath(metric), body: tagConfigBody{d}}, nil)
}
