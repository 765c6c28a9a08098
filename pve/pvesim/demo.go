package pvesim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Demo is a simulated cluster served on a loopback port, for -demo mode.
// The cluster is seeded on the first request, not at start: a demo server
// starts before any client has asked for anything, and seeding costs
// about as much as the rest of its start-up.
type Demo struct {
	BaseURL     string
	TokenID     string
	TokenSecret string
	srv         *http.Server
}

// StartDemo serves a new simulated cluster on 127.0.0.1 with a fresh random
// token. Tasks take taskDuration, so a demo shows running tasks finishing.
func StartDemo(taskDuration time.Duration) (*Demo, error) {
	return StartDemoSite("", taskDuration)
}

// StartDemoSite is StartDemo for one of the seeded sites (Options.Site):
// the multi-cluster demo runs the lab and the office side by side.
func StartDemoSite(site string, taskDuration time.Duration) (*Demo, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	h := hex.EncodeToString(b)
	secret := fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
	d := &Demo{TokenID: "root@pam!demo", TokenSecret: secret}
	sim := sync.OnceValue(func() *Sim {
		return New(Options{TokenID: d.TokenID, TokenSecret: secret, TaskDuration: taskDuration, Site: site, Unrecorded: true})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: cannot listen on loopback: %w", err)
	}
	d.BaseURL = "http://" + ln.Addr().String()
	d.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sim().ServeHTTP(w, r) }), ReadHeaderTimeout: 5 * time.Second}
	go d.srv.Serve(ln)
	return d, nil
}

// Close stops the demo server.
func (d *Demo) Close() error { return d.srv.Close() }
