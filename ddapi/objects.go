package ddapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Object is a dashboard or a monitor as JSON. Numbers are json.Number, so
// an id or a threshold survives a round trip exactly.
type Object map[string]any

// String returns o[key] when it is a string.
func (o Object) String(key string) string {
	s, _ := o[key].(string)
	return s
}

// MonitorID returns a monitor's numeric id.
func (o Object) MonitorID() (int64, bool) {
	switch v := o["id"].(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case float64:
		return int64(v), v == float64(int64(v))
	}
	return 0, false
}

// Tags returns o["tags"] as strings (non-strings are skipped).
func (o Object) Tags() []string {
	arr, _ := o["tags"].([]any)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// DecodeObject parses one JSON object, keeping numbers as json.Number.
func DecodeObject(data []byte) (Object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var o Object
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON object")
	}
	return o, nil
}

// pageSize is how many items one list request asks for.
const pageSize = 100

// maxPages stops a listing that never ends (a server ignoring the paging
// parameters would otherwise be read forever).
const maxPages = 1000

// DashboardSummary is one entry of GET /api/v1/dashboard.
type DashboardSummary struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	LayoutType  string `json:"layout_type"`
}

// ListDashboards returns every custom dashboard of the organisation (GET
// /api/v1/dashboard, paged with count and start). Needs dashboards_read.
func (c *Client) ListDashboards(ctx context.Context) ([]DashboardSummary, error) {
	var all []DashboardSummary
	seen := map[string]bool{}
	for page := 0; page < maxPages; page++ {
		var resp struct {
			Dashboards []DashboardSummary `json:"dashboards"`
		}
		q := url.Values{"count": {strconv.Itoa(pageSize)}, "start": {strconv.Itoa(len(all))}}
		if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/dashboard", query: q, idempotent: true}, &resp); err != nil {
			return nil, err
		}
		added := 0
		for _, d := range resp.Dashboards {
			if !seen[d.ID] {
				seen[d.ID] = true
				all = append(all, d)
				added++
			}
		}
		// A short page is the last one; a page with nothing new, or longer
		// than asked, means the server ignored the paging parameters.
		if len(resp.Dashboards) < pageSize || added == 0 || len(resp.Dashboards) > pageSize {
			return all, nil
		}
	}
	return nil, fmt.Errorf("GET /api/v1/dashboard: more than %d pages, giving up", maxPages)
}

// GetDashboard returns one dashboard in full. Needs dashboards_read.
func (c *Client) GetDashboard(ctx context.Context, id string) (Object, error) {
	var o Object
	err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/dashboard/" + url.PathEscape(id), idempotent: true}, &o)
	return o, err
}

// CreateDashboard creates d and returns it as stored (with its id and url).
// Needs dashboards_write.
func (c *Client) CreateDashboard(ctx context.Context, d Object) (Object, error) {
	var o Object
	err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/dashboard", body: d}, &o)
	return o, err
}

// UpdateDashboard replaces dashboard id with d. Needs dashboards_write.
func (c *Client) UpdateDashboard(ctx context.Context, id string, d Object) (Object, error) {
	var o Object
	err := c.do(ctx, request{method: http.MethodPut, path: "/api/v1/dashboard/" + url.PathEscape(id), body: d, idempotent: true}, &o)
	return o, err
}

// ListMonitors returns every monitor carrying all of monitorTags (GET
// /api/v1/monitor?monitor_tags=..., paged with page and page_size).
// monitor_tags filters on the monitor's own tags; "tags" would filter on
// the scope of its query. Needs monitors_read.
func (c *Client) ListMonitors(ctx context.Context, monitorTags ...string) ([]Object, error) {
	var all []Object
	seen := map[int64]bool{}
	for page := 0; page < maxPages; page++ {
		var resp []Object
		q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(pageSize)}}
		if len(monitorTags) > 0 {
			q.Set("monitor_tags", strings.Join(monitorTags, ","))
		}
		if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/monitor", query: q, idempotent: true}, &resp); err != nil {
			return nil, err
		}
		added := 0
		for _, m := range resp {
			id, ok := m.MonitorID()
			if !ok {
				return nil, fmt.Errorf("GET /api/v1/monitor: a monitor without a numeric id in the response")
			}
			if !seen[id] {
				seen[id] = true
				all = append(all, m)
				added++
			}
		}
		if len(resp) < pageSize || added == 0 || len(resp) > pageSize {
			return all, nil
		}
	}
	return nil, fmt.Errorf("GET /api/v1/monitor: more than %d pages, giving up", maxPages)
}

// CreateMonitor creates m and returns it as stored. Needs monitors_write.
func (c *Client) CreateMonitor(ctx context.Context, m Object) (Object, error) {
	var o Object
	err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/monitor", body: m}, &o)
	return o, err
}

// UpdateMonitor edits monitor id with the fields of m. Needs monitors_write.
func (c *Client) UpdateMonitor(ctx context.Context, id int64, m Object) (Object, error) {
	var o Object
	err := c.do(ctx, request{method: http.MethodPut, path: "/api/v1/monitor/" + strconv.FormatInt(id, 10), body: m, idempotent: true}, &o)
	return o, err
}

// ValidateMonitor asks the API whether m would be accepted (POST
// /api/v1/monitor/validate: an empty object when valid, HTTP 400 with the
// reasons when not). Nothing is created. Needs monitors_read. A rejection
// is an *Error with Status 400.
func (c *Client) ValidateMonitor(ctx context.Context, m Object) error {
	return c.do(ctx, request{method: http.MethodPost, path: "/api/v1/monitor/validate", body: m, idempotent: true}, nil)
}
