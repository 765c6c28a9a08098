// Command simclusters serves simulated Proxmox VE clusters on loopback for
// the multi-cluster end-to-end test (e2e/mcp.sh): lab and office, each with
// the deployment's token, office also accepting alice's own token, and a
// third cluster, dead, whose address nothing answers. It writes the
// PVE_CLUSTERS JSON naming them to the file given and serves until killed.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// Fake tokens, made up for the test.
const (
	deployID, deploySecret = "mcp@pve!e2e", "00000000-e2e0-4000-8000-000000000000"
	aliceID, aliceSecret   = "alice@pve!mcp", "00000000-a11c-4000-8000-00000000e2e0"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: simclusters CLUSTERS.json")
		os.Exit(2)
	}
	serve := func(site string, tokens map[string]string) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "simclusters:", err)
			os.Exit(1)
		}
		sim := pvesim.New(pvesim.Options{TokenID: deployID, TokenSecret: deploySecret, Site: site, Tokens: tokens, TaskDuration: time.Second})
		go (&http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)
		return "http://" + ln.Addr().String()
	}
	// A port that was free a moment ago and is closed now: connections to it are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "simclusters:", err)
		os.Exit(1)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	type caller struct {
		TokenID     string `json:"token_id"`
		TokenSecret string `json:"token_secret"`
	}
	type cluster struct {
		Name            string            `json:"name"`
		URL             string            `json:"url"`
		TokenID         string            `json:"token_id"`
		TokenSecret     string            `json:"token_secret"`
		Tier            string            `json:"tier,omitempty"`
		Timeout         int               `json:"timeout,omitempty"`
		Callers         map[string]caller `json:"callers,omitempty"`
		UnmappedCallers string            `json:"unmapped_callers,omitempty"`
	}
	list := map[string]any{"default": "lab", "clusters": []cluster{
		{Name: "lab", URL: serve("lab", nil), TokenID: deployID, TokenSecret: deploySecret},
		{Name: "office", URL: serve("office", map[string]string{aliceID: aliceSecret}), TokenID: deployID, TokenSecret: deploySecret,
			Callers: map[string]caller{"token:alice": {aliceID, aliceSecret}}, UnmappedCallers: "cluster_token"},
		{Name: "dead", URL: dead, TokenID: deployID, TokenSecret: deploySecret, Tier: "read-only", Timeout: 2},
	}}
	b, _ := json.MarshalIndent(list, "", "  ")
	tmp := os.Args[1] + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil || os.Rename(tmp, os.Args[1]) != nil {
		fmt.Fprintln(os.Stderr, "simclusters: cannot write", os.Args[1])
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
