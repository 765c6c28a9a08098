package pvesim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is one API call the simulator received, for tests to assert on.
type Request struct {
	Method string
	Path   string     // below /api2/json, as sent (escaped)
	Params url.Values // query or form values
	Status int        // HTTP status answered
	// TokenID is the API token that made the call ("" when it carried
	// none that the simulator accepts), so a test can tell whose request it was.
	TokenID string
}

// New returns a simulated cluster seeded with realistic data: three nodes,
// VMs and containers in several states, storages, a pool, users and a task
// history.
func New(opts Options) *Sim {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Tokens = maps.Clone(opts.Tokens) // SetToken changes the simulator's copy
	s := &Sim{opts: opts, guests: map[int]*Guest{}, tasks: map[string]*Task{}}
	for _, seed := range seeds {
		seed(s)
	}
	for _, sub := range subtrees {
		sub.routes(s)
	}
	return s
}

// route is one endpoint: method, path template, declared parameters, handler.
type route struct {
	method   string
	template string
	segs     []string
	params   []param
	handler  func(*Call) (any, error)
}

// Route returns the (method, path template, parameter declaration) of every
// endpoint the simulator serves, so a test can check them against the
// official API schema.
func (s *Sim) Routes() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.routes {
		ri := RouteInfo{Method: r.method, Path: r.template}
		for _, p := range r.params {
			ri.Params = append(ri.Params, ParamInfo{Name: p.name, Type: p.typ, Optional: p.optional, Enum: p.enum})
		}
		out = append(out, ri)
	}
	return out
}

// RouteInfo describes one simulated endpoint.
type RouteInfo struct {
	Method, Path string
	Params       []ParamInfo
}

// ParamInfo describes one declared parameter.
type ParamInfo struct {
	Name     string
	Type     string
	Optional bool
	Enum     []string
}

// handle registers an endpoint. decl lists its parameters (see parseParams),
// path placeholders included, as the API schema lists them.
func (s *Sim) handle(method, template, decl string, h func(*Call) (any, error)) {
	for _, r := range s.routes {
		if r.method == method && r.template == template {
			panic("pvesim: route registered twice: " + method + " " + template)
		}
	}
	s.routes = append(s.routes, &route{
		method: method, template: template,
		segs:   strings.Split(strings.Trim(template, "/"), "/"),
		params: parsedParams(decl), handler: h,
	})
}

// ServeHTTP answers /api2/json/... as Proxmox's pveproxy does.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/api2/json"
	path := r.URL.EscapedPath()
	rec := Request{Method: r.Method, Path: strings.TrimPrefix(path, prefix)}
	rw := &recorder{ResponseWriter: w, sim: s, rec: &rec}
	status := s.serve(rw, r, &rec)
	rw.commit(status)
}

// recorder logs the request just before its answer is written, so a client
// that has its answer can rely on finding the request in Requests().
type recorder struct {
	http.ResponseWriter
	sim  *Sim
	rec  *Request
	done bool
}

func (r *recorder) commit(status int) {
	if r.done {
		return
	}
	r.done = true
	r.rec.Status = status
	if r.sim.opts.Unrecorded {
		return
	}
	r.sim.mu.Lock()
	r.sim.requests = append(r.sim.requests, *r.rec)
	r.sim.mu.Unlock()
}

// Hijack lets writeStatus put Proxmox's message in the status line.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	return hj.Hijack()
}

// committing records the request (if w is a recorder) before an answer is written.
func committing(w http.ResponseWriter, status int) {
	if r, ok := w.(*recorder); ok {
		r.commit(status)
	}
}

func (s *Sim) serve(w http.ResponseWriter, r *http.Request, rec *Request) int {
	const prefix = "/api2/json"
	raw := r.URL.EscapedPath()
	if !strings.HasPrefix(raw, prefix+"/") && raw != prefix {
		return writeErr(w, &APIError{Status: 404, Message: "Not Found"})
	}
	user, err := s.authenticate(r.Header.Get("Authorization"))
	if err != nil {
		return writeErr(w, err)
	}
	rec.TokenID = user
	values := url.Values{}
	for k, v := range r.URL.Query() {
		values[k] = v
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return writeErr(w, &APIError{Status: 400, Message: "reading body failed"})
		}
		ct := r.Header.Get("Content-Type")
		if len(body) > 0 {
			switch {
			case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
				form, err := url.ParseQuery(string(body))
				if err != nil {
					return writeErr(w, &APIError{Status: 400, Message: "invalid form body"})
				}
				for k, v := range form {
					values[k] = append(values[k], v...)
				}
			case strings.HasPrefix(ct, "application/json"):
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					return writeErr(w, &APIError{Status: 400, Message: "invalid JSON body"})
				}
				for k, v := range m {
					values[k] = []string{fmt.Sprint(v)}
				}
			default:
				return writeErr(w, &APIError{Status: 415, Message: "Unsupported Media Type"})
			}
		}
	}
	rec.Params = url.Values{}
	for k, v := range values {
		rec.Params[k] = append([]string(nil), v...)
	}
	apiPath := strings.TrimPrefix(raw, prefix)
	segs := strings.Split(strings.Trim(apiPath, "/"), "/")
	var rt *route
	pathVals := map[string]string{}
	methodKnown := false
	for _, cand := range s.routes {
		vals, ok := matchPath(cand.segs, segs)
		if !ok {
			continue
		}
		methodKnown = true
		if cand.method == r.Method {
			rt, pathVals = cand, vals
			break
		}
	}
	if rt == nil {
		_ = methodKnown
		return writeErr(w, &APIError{Status: 501, Message: fmt.Sprintf("Method '%s %s' not implemented", r.Method, apiPath)})
	}
	for k, v := range pathVals {
		if _, dup := values[k]; dup {
			return writeErr(w, badParam(k, "duplicate parameter (path and query)"))
		}
		values[k] = []string{v}
	}
	if errs := validate(rt.params, values); errs != nil {
		return writeErr(w, &APIError{Status: 400, Message: "Parameter verification failed.", Errors: errs})
	}
	c := &Call{Sim: s, Method: r.Method, Path: apiPath, Values: values, User: user}
	s.mu.Lock()
	var data any
	if node, ok := pathVals["node"]; ok {
		err = s.checkNode(node)
	}
	if err == nil {
		data, err = rt.handler(c)
	}
	s.mu.Unlock()
	if err != nil {
		return writeErr(w, err)
	}
	var attrs map[string]any
	if wa, ok := data.(withAttrs); ok {
		data, attrs = wa.data, wa.attrs
	}
	if s.opts.Answered != nil {
		if b, err := json.Marshal(data); err == nil {
			s.opts.Answered(rt.method, rt.template, b)
		}
	}
	return writeData(w, data, attrs)
}

func (s *Sim) authenticate(h string) (string, error) {
	if h == "" {
		return "", &APIError{Status: 401, Message: "No ticket"}
	}
	rest, ok := strings.CutPrefix(h, "PVEAPIToken=")
	if !ok {
		return "", &APIError{Status: 401, Message: "No ticket"}
	}
	id, secret, ok := strings.Cut(rest, "=")
	if !ok || !s.acceptsToken(id, secret) {
		return "", &APIError{Status: 401, Message: "authentication failure"}
	}
	return id, nil
}

// acceptsToken reports whether secret is the current secret of token id.
func (s *Sim) acceptsToken(id, secret string) bool {
	if id == s.opts.TokenID {
		return secret == s.opts.TokenSecret
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want, ok := s.opts.Tokens[id]
	return ok && secret == want
}

// SetToken makes the simulator accept token id with secret from now on,
// replacing its old secret: how a test rotates a person's token.
func (s *Sim) SetToken(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Tokens == nil {
		s.opts.Tokens = map[string]string{}
	}
	s.opts.Tokens[id] = secret
}

func writeErr(w http.ResponseWriter, err error) int {
	var ae *APIError
	if !errors.As(err, &ae) {
		ae = &APIError{Status: 500, Message: err.Error()}
	}
	body := map[string]any{"data": nil}
	if len(ae.Errors) > 0 {
		body["errors"] = ae.Errors
	}
	b, _ := json.Marshal(body)
	committing(w, ae.Status)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	// Proxmox's message travels in the reason phrase. net/http only writes
	// the standard phrase, so take the connection over when we can.
	writeStatus(w, ae.Status, strings.ReplaceAll(strings.TrimSpace(ae.Message), "\n", " "), b)
	return ae.Status
}

// withAttrs is a handler's answer with attributes beside data, as
// Proxmox's set_result_attrib adds them (the network's "changes").
type withAttrs struct {
	data  any
	attrs map[string]any
}

func writeData(w http.ResponseWriter, data any, attrs map[string]any) int {
	body := map[string]any{"data": data}
	for k, v := range attrs {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		return writeErr(w, err)
	}
	committing(w, http.StatusOK)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return http.StatusOK
}

// Requests returns the calls received so far.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the calls received so far.
func (s *Sim) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// Find returns the last received request with this method whose path
// equals path (escaped, below /api2/json), or nil.
func (s *Sim) Find(method, path string) *Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.requests) - 1; i >= 0; i-- {
		r := s.requests[i]
		if r.Method == method && r.Path == path {
			return &r
		}
	}
	return nil
}
