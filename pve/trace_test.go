package pve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestTraceRecordsEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		n := hits[r.URL.Path]
		mu.Unlock()
		switch r.URL.Path {
		case "/api2/json/nodes/pve1/qemu/100/status/start":
			w.Write([]byte(`{"data":"UPID:pve1:0001:0002:00000003:qmstart:100:x@pve!t:"}`))
		case "/api2/json/flaky":
			if n == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte(`{"data":{}}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"data":null,"message":"VM 101 is running - destroy failed"}`))
		}
	}))
	defer ts.Close()
	c, err := New(Config{BaseURL: ts.URL, TokenID: "a@pve!t", TokenSecret: "00000000-aaaa-4000-8000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = 1 // no waiting between retries in the test

	ctx, tr := WithTrace(context.Background())
	if err := c.Do(ctx, http.MethodPost, "/nodes/pve1/qemu/100/status/start", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, http.MethodDelete, "/nodes/pve1/qemu/101", nil, nil); StatusOf(err) != 500 {
		t.Fatalf("delete: %v", err)
	}
	if err := c.Get(ctx, "/flaky", nil, nil); err != nil {
		t.Fatal(err)
	}
	want := []TraceCall{
		{"POST", "/nodes/pve1/qemu/100/status/start", 200},
		{"DELETE", "/nodes/pve1/qemu/101", 500},
		{"GET", "/flaky", 503},
		{"GET", "/flaky", 200},
	}
	got := tr.Calls()
	if len(got) != len(want) {
		t.Fatalf("trace = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d = %v, want %v", i, got[i], want[i])
		}
	}

	// A context without a trace records nothing and does not fail.
	if err := c.Do(context.Background(), http.MethodPost, "/nodes/pve1/qemu/100/status/start", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(tr.Calls()); n != len(want) {
		t.Errorf("untraced call was recorded: %d calls", n)
	}
}

func TestTraceUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there any more
	c, err := New(Config{BaseURL: url, TokenID: "a@pve!t", TokenSecret: "00000000-aaaa-4000-8000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, tr := WithTrace(context.Background())
	if err := c.Do(ctx, http.MethodPost, "/nodes/pve1/qemu/100/status/stop", nil, nil); err == nil {
		t.Fatal("call to a closed server succeeded")
	}
	got := tr.Calls()
	if len(got) != 1 || got[0] != (TraceCall{"POST", "/nodes/pve1/qemu/100/status/stop", 0}) {
		t.Fatalf("trace = %v, want one POST with status 0", got)
	}
}

func TestTraceBounded(t *testing.T) {
	_, tr := WithTrace(context.Background())
	for i := 0; i < maxTraceCalls+5; i++ {
		tr.add(TraceCall{Method: "GET", Path: "/x", Status: 200})
	}
	if len(tr.Calls()) != maxTraceCalls || tr.Dropped() != 5 {
		t.Fatalf("kept %d, dropped %d", len(tr.Calls()), tr.Dropped())
	}
}
