package pvesim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Demo is a simulated cluster served on a loopback port, for -demo mode.
type Demo struct {
	Sim         *Sim
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
	d.Sim = New(Options{TokenID: d.TokenID, TokenSecret: secret, TaskDuration: taskDuration, Site: site, Unrecorded: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: cannot listen on loopback: %w", err)
	}
	d.BaseURL = "http://" + ln.Addr().String()
	d.srv = &http.Server{Handler: d.Sim, ReadHeaderTimeout: 5 * time.Second}
	go d.srv.Serve(ln)
	return d, nil
}

// Close stops the demo server.
func (d *Demo) Close() error { return d.srv.Close() }
