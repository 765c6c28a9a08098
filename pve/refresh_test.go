package pve_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve"
)

// Fake tokens for the tests; never real values.
const (
	rotID     = "mcp@pve!lambda"
	rotA      = "aaaaaaaa-1111-4111-8111-111111111111"
	rotB      = "bbbbbbbb-2222-4222-8222-222222222222"
	rotOtherB = "mcp@pve!lambda2"
)

// rotProxmox is a Proxmox stand-in that accepts exactly one token at a time
// (the rotation moves it) and records the Authorization of every request.
type rotProxmox struct {
	*httptest.Server
	mu       sync.Mutex
	accept   string
	auths    []string
	methods  []string
	bodies   []string
	delay401 time.Duration
}

func newRotProxmox(t *testing.T, tokenID, secret string) *rotProxmox {
	p := &rotProxmox{}
	p.rotate(tokenID, secret)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		auth := r.Header.Get("Authorization")
		p.mu.Lock()
		p.auths = append(p.auths, auth)
		p.methods = append(p.methods, r.Method)
		p.bodies = append(p.bodies, r.PostForm.Encode())
		ok, delay := auth == p.accept, p.delay401
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			time.Sleep(delay) // lets concurrent callers all be rejected before one refreshes
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"data":null}`))
			return
		}
		switch r.URL.Path {
		case "/api2/json/version":
			w.Write([]byte(`{"data":{"version":"9.1.2","release":"9.1"}}`))
		case "/api2/json/echo": // a Proxmox echoing credentials (as some error paths do)
			json.NewEncoder(w).Encode(map[string]any{"data": fmt.Sprintf("seen %s %s %s %s", rotA, rotB, rotID, rotOtherB)})
		default: // a task started by the caller: the UPID names its token id
			id, _, _ := strings.Cut(strings.TrimPrefix(auth, "PVEAPIToken="), "=")
			w.Write([]byte(`{"data":"UPID:pve1:00001234:00005678:65000000:qmstart:100:` + id + `:"}`))
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *rotProxmox) rotate(tokenID, secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accept = "PVEAPIToken=" + tokenID + "=" + secret
}

func (p *rotProxmox) seen() (auths, methods, bodies []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.auths...), append([]string(nil), p.methods...), append([]string(nil), p.bodies...)
}

// tokenStore is the secret store Refresh reads: it counts fetches.
type tokenStore struct {
	mu      sync.Mutex
	id, sec string
	err     error
	fetches atomic.Int32
}

func (s *tokenStore) set(id, sec string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id, s.sec = id, sec
}

func (s *tokenStore) refresh(ctx context.Context) (string, string, error) {
	s.fetches.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id, s.sec, s.err
}

func rotClient(t *testing.T, url string, store *tokenStore) *pve.Client {
	t.Helper()
	cfg := pve.Config{BaseURL: url, TokenID: rotID, TokenSecret: rotA}
	if store != nil {
		cfg.Refresh = store.refresh
	}
	c, err := pve.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func auth(id, sec string) string { return "PVEAPIToken=" + id + "=" + sec }

func TestRefreshAfter401PicksUpRotatedToken(t *testing.T) {
	p := newRotProxmox(t, rotID, rotA)
	store := &tokenStore{id: rotID, sec: rotA}
	c := rotClient(t, p.URL, store)
	ctx := context.Background()

	if _, err := c.Check(ctx); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	// The token is rotated: Proxmox only accepts B, the store holds B.
	p.rotate(rotID, rotB)
	store.set(rotID, rotB)
	if v, err := c.Check(ctx); err != nil || v != "9.1.2" {
		t.Fatalf("after rotation: %q, %v", v, err)
	}
	if _, err := c.Check(ctx); err != nil {
		t.Fatalf("next call: %v", err)
	}
	auths, _, _ := p.seen()
	want := []string{auth(rotID, rotA), auth(rotID, rotA), auth(rotID, rotB), auth(rotID, rotB)}
	if strings.Join(auths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Authorization sent:\n%s\nwant:\n%s", strings.Join(auths, "\n"), strings.Join(want, "\n"))
	}
	if n := store.fetches.Load(); n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
}

// A POST is never retried on failure, but a 401 means Proxmox did not run
// it: after a refresh it is sent once more, with the same parameters.
func TestRefreshRetriesWritesOnce(t *testing.T) {
	p := newRotProxmox(t, rotOtherB, rotB) // token id changes too
	store := &tokenStore{id: rotOtherB, sec: rotB}
	c := rotClient(t, p.URL, store)
	var upid string
	err := c.Do(context.Background(), http.MethodPost, "/nodes/pve1/qemu/100/status/start", pve.Values{"timeout": {"30"}}, &upid)
	if err != nil {
		t.Fatal(err)
	}
	_, methods, bodies := p.seen()
	if strings.Join(methods, ",") != "POST,POST" || bodies[0] != "timeout=30" || bodies[1] != "timeout=30" {
		t.Fatalf("requests: %v %v", methods, bodies)
	}
	// The new token id is shown as it is (only secrets are redacted).
	if want := "UPID:pve1:00001234:00005678:65000000:qmstart:100:" + rotOtherB + ":"; upid != want {
		t.Fatalf("UPID = %s, want %s", upid, want)
	}
}

func TestRefreshFailures(t *testing.T) {
	tests := []struct {
		name       string
		store      *tokenStore // nil: no Refresh configured
		proxmoxB   bool        // Proxmox accepts only B (else nothing we know)
		wantCalls  int         // requests Proxmox saw
		wantFetch  int32
		wantErrHas string
	}{
		{name: "no refresh configured", wantCalls: 1, wantErrHas: "401"},
		{name: "store still holds the rejected token", store: &tokenStore{id: rotID, sec: rotA}, proxmoxB: true, wantCalls: 1, wantFetch: 1, wantErrHas: "still holds the rejected token"},
		{name: "store unreachable", store: &tokenStore{err: errors.New("secret arn:aws:secretsmanager:eu-central-1:123456789012:secret:pve-AbCdEf: access to the secret denied")}, proxmoxB: true, wantCalls: 1, wantFetch: 1, wantErrHas: "fetching the token again did not help: secret arn:aws:secretsmanager"},
		{name: "new token also rejected", store: &tokenStore{id: rotID, sec: rotB}, wantCalls: 2, wantFetch: 1, wantErrHas: "401"},
		{name: "store returns garbage", store: &tokenStore{id: "lambda", sec: rotB}, proxmoxB: true, wantCalls: 1, wantFetch: 1, wantErrHas: "not of the form user@realm!tokenname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newRotProxmox(t, "nobody@pve!x", "nothing-matches")
			if tt.proxmoxB {
				p.rotate(rotID, rotB)
			}
			c := rotClient(t, p.URL, tt.store)
			_, err := c.Check(context.Background())
			if pve.StatusOf(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), tt.wantErrHas) {
				t.Fatalf("err = %v, want a 401 saying %q", err, tt.wantErrHas)
			}
			for _, s := range []string{rotA, rotB} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a secret: %v", err)
				}
			}
			auths, _, _ := p.seen()
			if len(auths) != tt.wantCalls {
				t.Errorf("Proxmox saw %d requests, want %d", len(auths), tt.wantCalls)
			}
			if tt.store != nil && tt.store.fetches.Load() != tt.wantFetch {
				t.Errorf("refreshes = %d, want %d", tt.store.fetches.Load(), tt.wantFetch)
			}
		})
	}
}

// Many calls rejected at once after a rotation share one refresh.
func TestConcurrent401sShareOneRefresh(t *testing.T) {
	p := newRotProxmox(t, rotID, rotB)
	p.delay401 = 20 * time.Millisecond
	store := &tokenStore{id: rotID, sec: rotB}
	c := rotClient(t, p.URL, store)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out json.RawMessage
			errs <- c.Get(context.Background(), "/version", nil, &out)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := store.fetches.Load(); n != 1 {
		t.Fatalf("16 concurrent 401s made %d refreshes, want 1", n)
	}
}

// After a rotation both the old and the new secrets are redacted.
func TestRefreshRedactsOldAndNewTokens(t *testing.T) {
	p := newRotProxmox(t, rotOtherB, rotB)
	store := &tokenStore{id: rotOtherB, sec: rotB}
	c := rotClient(t, p.URL, store)
	var out json.RawMessage
	if err := c.Get(context.Background(), "/echo", nil, &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{rotA, rotB} {
		if strings.Contains(string(out), s) {
			t.Fatalf("answer leaks %q: %s", s, out)
		}
		if strings.Contains(c.Redactor().String("x "+s+" y"), s) {
			t.Fatalf("Redactor misses %q", s)
		}
	}
}
