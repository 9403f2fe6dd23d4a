// Package ddapitest is a LOCAL EMULATION of the few Datadog API endpoints
// ddapi calls, for tests. It is not Datadog and proves nothing about
// Datadog itself: it keeps dashboards, monitors and downtimes in memory,
// assigns ids, adds a few read-only fields the way the public API
// documentation shows them, records every request, and fails on demand
// (429, 403, 5xx, validation errors). Its shapes follow
// docs.datadoghq.com/api/latest (dashboards, monitors, downtimes v2).
package ddapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roachdog/roachdog/ddapi"
)

// Request is one request the emulation received.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// IsWrite reports whether r changes state (monitor validation does not).
func (r Request) IsWrite() bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return false
	case http.MethodPost:
		return r.Path != "/api/v1/monitor/validate"
	}
	return true
}

func (r Request) String() string { return r.Method + " " + r.Path }

// Fault makes the next Times requests matching Method and Path (an exact
// path, or a prefix ending in "/") answer Status with Header and Body
// instead of being served.
type Fault struct {
	Method string
	Path   string
	Status int
	Header map[string]string
	Body   string
	Times  int
}

// Server is the emulation. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	// APIKey and AppKey are the keys the emulation accepts; any other value
	// gets 403 {"errors":["Forbidden"]}, as Datadog answers a bad key.
	APIKey, AppKey string

	mu         sync.Mutex
	requests   []Request
	faults     []*Fault
	validate   func(ddapi.Object) []string
	dashboards []ddapi.Object // in creation order, like the real listing
	monitors   []ddapi.Object
	downtimes  map[string]ddapi.Object
	tagConfigs map[string]ddapi.Object // metric name: the stored "data"
	nextID     int64
}

// New starts an emulation closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{APIKey: "test-api-key-0123456789", AppKey: "test-app-key-9876543210",
		downtimes: map[string]ddapi.Object{}, tagConfigs: map[string]ddapi.Object{}, nextID: 1000}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// AddFault queues f.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// SetValidator makes POST /api/v1/monitor/validate (and monitor creation
// and update, as in Datadog) reject a monitor for which fn returns errors.
func (s *Server) SetValidator(fn func(ddapi.Object) []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validate = fn
}

// Requests returns a copy of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Writes returns the requests that change state.
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.IsWrite() {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests (not the stored objects).
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Dashboards returns copies of the stored dashboards.
func (s *Server) Dashboards() []ddapi.Object {
	return s.copies(func() []ddapi.Object { return s.dashboards })
}

// Monitors returns copies of the stored monitors.
func (s *Server) Monitors() []ddapi.Object {
	return s.copies(func() []ddapi.Object { return s.monitors })
}

// Downtime returns a copy of downtime id as stored.
func (s *Server) Downtime(id string) (ddapi.Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.downtimes[id]
	if !ok {
		return nil, false
	}
	return clone(d), true
}

func (s *Server) copies(get func() []ddapi.Object) []ddapi.Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ddapi.Object
	for _, o := range get() {
		out = append(out, clone(o))
	}
	return out
}

// SeedDashboard stores d as if created by someone else and returns its id.
func (s *Server) SeedDashboard(d ddapi.Object) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.storeDashboard("", clone(d)).String("id")
}

// SeedMonitor stores m as if created by someone else and returns its id.
func (s *Server) SeedMonitor(m ddapi.Object) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := s.storeMonitor(0, clone(m)).MonitorID()
	return id
}

func clone(o ddapi.Object) ddapi.Object {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	c, err := ddapi.DecodeObject(b)
	if err != nil {
		panic(err)
	}
	return c
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})

	if r.Header.Get("DD-API-KEY") != s.APIKey || r.Header.Get("DD-APPLICATION-KEY") != s.AppKey {
		writeErrors(w, http.StatusForbidden, "Forbidden")
		return
	}
	for i, f := range s.faults {
		if f.Method == r.Method && (f.Path == r.URL.Path || strings.HasSuffix(f.Path, "/") && strings.HasPrefix(r.URL.Path, f.Path)) {
			if f.Times--; f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			for k, v := range f.Header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Body)
			return
		}
	}

	p := r.URL.Path
	switch {
	case p == "/api/v1/dashboard" && r.Method == http.MethodGet:
		s.listDashboards(w, r)
	case p == "/api/v1/dashboard" && r.Method == http.MethodPost:
		s.putDashboard(w, "", body)
	case strings.HasPrefix(p, "/api/v1/dashboard/"):
		id := strings.TrimPrefix(p, "/api/v1/dashboard/")
		switch r.Method {
		case http.MethodGet:
			if d := s.findDashboard(id); d != nil {
				writeJSON(w, http.StatusOK, d)
				return
			}
			writeErrors(w, http.StatusNotFound, "Dashboard with ID "+id+" not found")
		case http.MethodPut:
			if s.findDashboard(id) == nil {
				writeErrors(w, http.StatusNotFound, "Dashboard with ID "+id+" not found")
				return
			}
			s.putDashboard(w, id, body)
		default:
			writeErrors(w, http.StatusMethodNotAllowed, "method not emulated")
		}
	case p == "/api/v1/monitor" && r.Method == http.MethodGet:
		s.listMonitors(w, r)
	case p == "/api/v1/monitor" && r.Method == http.MethodPost:
		s.putMonitor(w, 0, body)
	case p == "/api/v1/monitor/validate" && r.Method == http.MethodPost:
		m, errs := s.checkMonitor(body, true)
		if m == nil || len(errs) > 0 {
			writeErrors(w, http.StatusBadRequest, errs...)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	case strings.HasPrefix(p, "/api/v1/monitor/") && r.Method == http.MethodPut:
		id, err := strconv.ParseInt(strings.TrimPrefix(p, "/api/v1/monitor/"), 10, 64)
		if err != nil || s.findMonitor(id) == nil {
			writeErrors(w, http.StatusNotFound, "Monitor not found")
			return
		}
		s.putMonitor(w, id, body)
	case strings.HasPrefix(p, "/api/v2/metrics/") && strings.HasSuffix(p, "/tags"):
		s.tagConfig(w, r.Method, strings.TrimSuffix(strings.TrimPrefix(p, "/api/v2/metrics/"), "/tags"), body)
	case p == "/api/v2/downtime" && r.Method == http.MethodPost:
		s.createDowntime(w, body)
	case strings.HasPrefix(p, "/api/v2/downtime/") && r.Method == http.MethodDelete:
		id := strings.TrimPrefix(p, "/api/v2/downtime/")
		d, ok := s.downtimes[id]
		if !ok {
			writeErrors(w, http.StatusNotFound, "downtime not found")
			return
		}
		d["data"].(map[string]any)["attributes"].(map[string]any)["status"] = "canceled"
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusNotFound, "not emulated: "+r.Method+" "+p)
	}
}

func (s *Server) listDashboards(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	count := len(s.dashboards)
	if c := q.Get("count"); c != "" {
		count, _ = strconv.Atoi(c)
	}
	list := []map[string]any{}
	for i := start; i < len(s.dashboards) && len(list) < count; i++ {
		d := s.dashboards[i]
		list = append(list, map[string]any{
			"id": d["id"], "title": d["title"], "description": d["description"], "url": d["url"],
			"layout_type": d["layout_type"], "author_handle": d["author_handle"],
			"created_at": d["created_at"], "modified_at": d["modified_at"], "is_read_only": false,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"dashboards": list})
}

func (s *Server) findDashboard(id string) ddapi.Object {
	for _, d := range s.dashboards {
		if d.String("id") == id {
			return d
		}
	}
	return nil
}

func (s *Server) putDashboard(w http.ResponseWriter, id string, body []byte) {
	d, err := ddapi.DecodeObject(body)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "Invalid JSON: "+err.Error())
		return
	}
	var missing []string
	for _, k := range []string{"title", "layout_type", "widgets"} {
		if _, ok := d[k]; !ok {
			missing = append(missing, "Missing required field: "+k)
		}
	}
	if len(missing) > 0 {
		writeErrors(w, http.StatusBadRequest, missing...)
		return
	}
	writeJSON(w, http.StatusOK, s.storeDashboard(id, d))
}

// storeDashboard adds what the API adds: id, url, author, timestamps, and
// an id on every widget (so a comparison must ignore fields it never set).
func (s *Server) storeDashboard(id string, d ddapi.Object) ddapi.Object {
	now := time.Now().UTC().Format(time.RFC3339)
	if id == "" {
		s.nextID++
		n := fmt.Sprintf("%09d", s.nextID)
		id = n[0:3] + "-" + n[3:6] + "-" + n[6:9]
		d["created_at"] = now
	} else {
		d["created_at"] = s.findDashboard(id)["created_at"]
	}
	d["id"] = id
	d["url"] = "/dashboard/" + id + "/x"
	d["author_handle"] = "someone@example.com"
	d["modified_at"] = now
	// An empty notify_list comes back as null (the API returns null for
	// unset lists), so a comparison must treat [] and null alike.
	if l, _ := d["notify_list"].([]any); len(l) == 0 {
		d["notify_list"] = nil
	}
	s.widgetIDs(d["widgets"])
	for i, old := range s.dashboards {
		if old.String("id") == id {
			s.dashboards[i] = d
			return clone(d)
		}
	}
	s.dashboards = append(s.dashboards, d)
	return clone(d)
}

func (s *Server) widgetIDs(v any) {
	ws, _ := v.([]any)
	for _, w := range ws {
		m, ok := w.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := m["id"]; !ok {
			s.nextID++
			m["id"] = json.Number(strconv.FormatInt(s.nextID, 10))
		}
		if def, ok := m["definition"].(map[string]any); ok {
			s.widgetIDs(def["widgets"])
		}
	}
}

func (s *Server) listMonitors(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var want []string
	if t := q.Get("monitor_tags"); t != "" {
		want = strings.Split(t, ",")
	}
	var match []ddapi.Object
	for _, m := range s.monitors {
		tags := m.Tags()
		ok := true
		for _, t := range want {
			ok = ok && slices.Contains(tags, t)
		}
		if ok {
			match = append(match, m)
		}
	}
	if q.Has("page") {
		page, _ := strconv.Atoi(q.Get("page"))
		size := 100
		if v := q.Get("page_size"); v != "" {
			size, _ = strconv.Atoi(v)
		}
		lo := min(page*size, len(match))
		match = match[lo:min(lo+size, len(match))]
	}
	if match == nil {
		match = []ddapi.Object{}
	}
	writeJSON(w, http.StatusOK, match)
}

func (s *Server) findMonitor(id int64) ddapi.Object {
	for _, m := range s.monitors {
		if n, _ := m.MonitorID(); n == id {
			return m
		}
	}
	return nil
}

// checkMonitor parses a monitor body and applies the required fields and
// the validator (when full).
func (s *Server) checkMonitor(body []byte, full bool) (ddapi.Object, []string) {
	m, err := ddapi.DecodeObject(body)
	if err != nil {
		return nil, []string{"Invalid JSON: " + err.Error()}
	}
	var errs []string
	if full {
		for _, k := range []string{"type", "query"} {
			if m.String(k) == "" {
				errs = append(errs, "The value provided for parameter '"+k+"' is invalid")
			}
		}
	}
	if s.validate != nil {
		errs = append(errs, s.validate(m)...)
	}
	return m, errs
}

func (s *Server) putMonitor(w http.ResponseWriter, id int64, body []byte) {
	m, errs := s.checkMonitor(body, id == 0)
	if m == nil || len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	if id != 0 {
		// An edit replaces the fields it sends and keeps the others.
		old := s.findMonitor(id)
		for k, v := range m {
			old[k] = v
		}
		m = old
	}
	writeJSON(w, http.StatusOK, s.storeMonitor(id, m))
}

// storeMonitor adds what the API adds: id, creator, state, option
// defaults, and thresholds printed as floats (3 comes back as 3.0), so a
// comparison must be numeric, not textual.
func (s *Server) storeMonitor(id int64, m ddapi.Object) ddapi.Object {
	now := time.Now().UTC().Format(time.RFC3339)
	if id == 0 {
		s.nextID++
		id = s.nextID
		m["created"] = now
		m["creator"] = map[string]any{"email": "someone@example.com"}
		m["overall_state"] = "No Data"
	}
	m["id"] = json.Number(strconv.FormatInt(id, 10))
	m["modified"] = now
	opts, _ := m["options"].(map[string]any)
	if opts == nil {
		opts = map[string]any{}
		m["options"] = opts
	}
	for k, v := range map[string]any{"notify_audit": false, "include_tags": true, "new_group_delay": json.Number("60"), "silenced": map[string]any{}} {
		if _, ok := opts[k]; !ok {
			opts[k] = v
		}
	}
	if th, ok := opts["thresholds"].(map[string]any); ok {
		for k, v := range th {
			if n, ok := v.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
				th[k] = json.Number(string(n) + ".0")
			}
		}
	}
	if s.findMonitor(id) == nil {
		s.monitors = append(s.monitors, m)
	}
	return clone(m)
}

func (s *Server) createDowntime(w http.ResponseWriter, body []byte) {
	d, err := ddapi.DecodeObject(body)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "Invalid JSON: "+err.Error())
		return
	}
	data, _ := d["data"].(map[string]any)
	attrs, _ := data["attributes"].(map[string]any)
	var errs []string
	if data == nil || data["type"] != "downtime" {
		errs = append(errs, `data.type must be "downtime"`)
	}
	if attrs == nil || attrs["scope"] == nil || attrs["scope"] == "" {
		errs = append(errs, "attributes.scope is required")
	}
	if sched, ok := attrs["schedule"].(map[string]any); ok {
		for _, k := range []string{"start", "end"} {
			if v, ok := sched[k].(string); ok {
				if t, err := time.Parse(time.RFC3339, v); err != nil || !strings.HasSuffix(v, "Z") || t.IsZero() {
					errs = append(errs, "schedule."+k+" must be ISO-8601 with a zero UTC offset")
				}
			}
		}
	}
	if len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	s.nextID++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", s.nextID)
	data["id"] = id
	attrs["status"] = "scheduled"
	s.downtimes[id] = d
	writeJSON(w, http.StatusOK, d)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func writeErrors(w http.ResponseWriter, status int, errs ...string) {
	if errs == nil {
		errs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": errs})
}

// TagConfig returns a copy of a metric's stored tag configuration ("data":
// id, type, attributes).
func (s *Server) TagConfig(metric string) (ddapi.Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.tagConfigs[metric]
	if !ok {
		return nil, false
	}
	return clone(d), true
}

// SeedTagConfig stores a tag configuration as if made in Datadog.
func (s *Server) SeedTagConfig(metric string, attributes map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tagConfigs[metric] = clone(ddapi.Object{"id": metric, "type": "manage_tags", "attributes": attributes})
}

// tagConfig emulates GET, POST and PATCH /api/v2/metrics/{metric}/tags as
// the API reference describes them: POST needs data.type manage_tags,
// data.id the metric, attributes.tags and attributes.metric_type, and
// fails with 409 when a configuration exists; PATCH needs one; percentile
// aggregations are for distributions only.
func (s *Server) tagConfig(w http.ResponseWriter, method, metric string, body []byte) {
	cur, exists := s.tagConfigs[metric]
	if method == http.MethodGet {
		if !exists {
			writeErrors(w, http.StatusNotFound, "Tag configuration for metric "+metric+" not found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": cur})
		return
	}
	if method != http.MethodPost && method != http.MethodPatch {
		writeErrors(w, http.StatusMethodNotAllowed, "method not emulated")
		return
	}
	var req struct {
		Data struct {
			ID         string         `json:"id"`
			Type       string         `json:"type"`
			Attributes map[string]any `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeErrors(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	d := req.Data
	var errs []string
	if d.Type != "manage_tags" {
		errs = append(errs, `data.type must be "manage_tags"`)
	}
	if d.ID != metric {
		errs = append(errs, "data.id must be the metric name of the path")
	}
	a := d.Attributes
	if method == http.MethodPost {
		if _, ok := a["tags"].([]any); !ok {
			errs = append(errs, "attributes.tags is required")
		}
		if mt, _ := a["metric_type"].(string); !slices.Contains([]string{"gauge", "count", "rate", "distribution"}, mt) {
			errs = append(errs, "attributes.metric_type must be gauge, count, rate or distribution")
		}
	}
	mt, _ := a["metric_type"].(string)
	if exists && mt == "" {
		mt, _ = cur["attributes"].(map[string]any)["metric_type"].(string)
	}
	if p, ok := a["include_percentiles"]; ok {
		if _, isBool := p.(bool); !isBool || mt != "distribution" {
			errs = append(errs, "include_percentiles is a boolean, for distribution metrics only")
		}
	}
	switch {
	case len(errs) > 0:
		writeErrors(w, http.StatusBadRequest, errs...)
	case method == http.MethodPost && exists:
		writeErrors(w, http.StatusConflict, "Tag configuration for metric "+metric+" already exists")
	case method == http.MethodPatch && !exists:
		writeErrors(w, http.StatusNotFound, "Tag configuration for metric "+metric+" not found")
	case method == http.MethodPost:
		s.tagConfigs[metric] = ddapi.Object{"id": metric, "type": "manage_tags", "attributes": a}
		writeJSON(w, http.StatusCreated, map[string]any{"data": s.tagConfigs[metric]})
	default:
		attrs := cur["attributes"].(map[string]any)
		for k, v := range a {
			attrs[k] = v
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": cur})
	}
}
