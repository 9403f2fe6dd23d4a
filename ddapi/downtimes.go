package ddapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Downtime is a one-time downtime (v2; v1 /api/v1/downtime is deprecated).
type Downtime struct {
	// Scope is a tag query, for example "cluster:prod AND node_id:4".
	Scope string
	// MonitorTags selects the monitors muted: those carrying all of them.
	MonitorTags []string
	// Start zero means "when created"; End zero would mean "forever", which
	// CreateDowntime refuses.
	Start, End time.Time
	Message    string
}

// DowntimeResult is what the API answers about a scheduled downtime.
type DowntimeResult struct {
	ID     string
	Status string // scheduled, active, ...
	Start  string // as the API reports them (ISO-8601)
	End    string
}

type downtimeBody struct {
	Data downtimeData `json:"data"`
}

type downtimeData struct {
	Type       string             `json:"type"`
	Attributes downtimeAttributes `json:"attributes"`
}

type downtimeAttributes struct {
	Scope             string             `json:"scope"`
	MonitorIdentifier *monitorIdentifier `json:"monitor_identifier,omitempty"`
	Schedule          *downtimeSchedule  `json:"schedule,omitempty"`
	Message           string             `json:"message,omitempty"`
	DisplayTimezone   string             `json:"display_timezone,omitempty"`
}

type monitorIdentifier struct {
	MonitorTags []string `json:"monitor_tags"`
}

type downtimeSchedule struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// CreateDowntime schedules d (POST /api/v2/downtime). Needs
// monitors_downtime.
func (c *Client) CreateDowntime(ctx context.Context, d Downtime) (DowntimeResult, error) {
	if strings.TrimSpace(d.Scope) == "" {
		return DowntimeResult{}, fmt.Errorf("downtime: empty scope would mute every group")
	}
	if len(d.MonitorTags) == 0 {
		return DowntimeResult{}, fmt.Errorf("downtime: no monitor tags would mute every monitor")
	}
	if d.End.IsZero() {
		return DowntimeResult{}, fmt.Errorf("downtime: no end time (a downtime without one lasts until cancelled)")
	}
	if !d.Start.IsZero() && !d.End.After(d.Start) {
		return DowntimeResult{}, fmt.Errorf("downtime: end %s is not after start %s", d.End.UTC().Format(time.RFC3339), d.Start.UTC().Format(time.RFC3339))
	}
	// The API wants ISO-8601 with a zero UTC offset.
	sched := &downtimeSchedule{End: d.End.UTC().Format(time.RFC3339)}
	if !d.Start.IsZero() {
		sched.Start = d.Start.UTC().Format(time.RFC3339)
	}
	body := downtimeBody{Data: downtimeData{Type: "downtime", Attributes: downtimeAttributes{
		Scope:             d.Scope,
		MonitorIdentifier: &monitorIdentifier{MonitorTags: d.MonitorTags},
		Schedule:          sched,
		Message:           d.Message,
		DisplayTimezone:   "UTC",
	}}}
	var resp struct {
		Data struct {
			ID         string `json:"id"`
			Attributes struct {
				Status   string           `json:"status"`
				Schedule downtimeSchedule `json:"schedule"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/api/v2/downtime", body: body}, &resp); err != nil {
		return DowntimeResult{}, err
	}
	if resp.Data.ID == "" {
		return DowntimeResult{}, fmt.Errorf("POST /api/v2/downtime: the response has no downtime id")
	}
	a := resp.Data.Attributes
	return DowntimeResult{ID: resp.Data.ID, Status: a.Status, Start: a.Schedule.Start, End: a.Schedule.End}, nil
}

// CancelDowntime cancels downtime id (DELETE /api/v2/downtime/{id}). Needs
// monitors_downtime.
func (c *Client) CancelDowntime(ctx context.Context, id string) error {
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("cancel downtime: empty id")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: "/api/v2/downtime/" + url.PathEscape(id), idempotent: true}, nil)
}
