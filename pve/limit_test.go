package pve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// However many calls run at once, no more than MaxConcurrency reach
// Proxmox; the others wait for a slot.
func TestMaxConcurrency(t *testing.T) {
	var now, peak atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`{"data":"ok"}`))
	}))
	defer ts.Close()
	c := testClient(t, ts.URL, func(cfg *Config) { cfg.MaxConcurrency = 3 })
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s string
			errs <- c.Get(context.Background(), "/version", nil, &s)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Fatalf("peak of %d requests in flight at Proxmox, want at most 3 (and some parallelism)", p)
	}
	if c.InFlight() != 0 {
		t.Fatalf("%d slots still held", c.InFlight())
	}
}

// A call that cannot get a slot before its deadline fails with a message
// saying what to do, without reaching Proxmox.
func TestMaxConcurrencyDeadline(t *testing.T) {
	block := make(chan struct{})
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-block
		w.Write([]byte(`{"data":"ok"}`))
	}))
	defer ts.Close()
	defer close(block)
	c := testClient(t, ts.URL, func(cfg *Config) { cfg.MaxConcurrency = 1 })
	go c.Get(context.Background(), "/slow", nil, nil)
	for hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Get(ctx, "/version", nil, nil)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "PVE_MAX_CONCURRENCY") {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d requests reached Proxmox, want 1", hits.Load())
	}
}

// Answers above 1 MiB share one memory budget: a second one waits until the
// first is decoded.
func TestAnswerBudget(t *testing.T) {
	l := newLimits(4, 3<<20)
	big := func(known bool) *http.Response {
		body := bytes.Repeat([]byte("x"), 2<<20)
		r := &http.Response{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1}
		if known {
			r.ContentLength = int64(len(body))
		}
		return r
	}
	raw, release, err := l.readAnswer(context.Background(), big(true), 16<<20)
	if err != nil || len(raw) != 2<<20 {
		t.Fatalf("first: %d bytes, %v", len(raw), err)
	}
	for _, known := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		_, rel, err := l.readAnswer(ctx, big(known), 16<<20)
		cancel()
		rel()
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("second (length known %v) while the first holds the budget: %v", known, err)
		}
	}
	// Small answers never wait.
	small := &http.Response{Body: io.NopCloser(strings.NewReader(`{"data":1}`)), ContentLength: -1}
	if raw, rel, err := l.readAnswer(context.Background(), small, 16<<20); err != nil || len(raw) != 10 {
		t.Fatalf("small: %q %v", raw, err)
	} else {
		rel()
	}
	release()
	raw, rel, err := l.readAnswer(context.Background(), big(false), 16<<20)
	rel()
	if err != nil || len(raw) != 2<<20 {
		t.Fatalf("after release: %d bytes, %v", len(raw), err)
	}
	// Too large, length known: not read at all.
	tooBig := &http.Response{Body: io.NopCloser(strings.NewReader("")), ContentLength: 32 << 20}
	if raw, rel, err := l.readAnswer(context.Background(), tooBig, 16<<20); err != nil || raw != nil {
		t.Fatalf("too big: %d bytes, %v", len(raw), err)
	} else {
		rel()
	}
}

// Under a lease (one tool call), a large answer's share lasts until the
// call ends, and a call holds one share however many large answers it reads.
func TestAnswerLease(t *testing.T) {
	l := newLimits(4, 3<<20)
	big := func() *http.Response {
		return &http.Response{Body: io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20))), ContentLength: 2 << 20}
	}
	ctx, done := WithAnswerLease(context.Background())
	for range 3 { // the same call reads three large answers: no deadlock
		_, rel, err := l.readAnswer(ctx, big(), 16<<20)
		if err != nil {
			t.Fatal(err)
		}
		rel() // Do's release: the lease keeps the share
	}
	other, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, rel, err := l.readAnswer(other, big(), 16<<20)
	cancel()
	rel()
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("another call got memory while the first call holds it: %v", err)
	}
	done()
	done() // twice is harmless
	if _, rel, err := l.readAnswer(context.Background(), big(), 16<<20); err != nil {
		t.Fatalf("after the call ended: %v", err)
	} else {
		rel()
	}
}
