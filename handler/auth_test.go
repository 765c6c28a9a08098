package handler

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/tools"
)

func TestStaticTokens(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	list := rpcBody(1, "tools/list", map[string]any{})

	// No token, a wrong token, a token one character off, another scheme:
	// 401 with a Bearer challenge, and nothing reaches Proxmox.
	for _, c := range []struct {
		name, auth, wantChallenge string
	}{
		{"missing", "", `Bearer realm="pve-mcp"`},
		{"unknown", "Bearer " + strings.Repeat("x", 40), `Bearer realm="pve-mcp", error="invalid_token"`},
		{"one char off", "Bearer " + tokAdmin[:len(tokAdmin)-1] + "9", `Bearer realm="pve-mcp", error="invalid_token"`},
		{"prefix of a token", "Bearer " + tokAdmin[:20], `Bearer realm="pve-mcp", error="invalid_token"`},
		{"basic scheme", "Basic " + tokAdmin, `Bearer realm="pve-mcp", error="invalid_token"`},
		{"token without scheme", tokAdmin, `Bearer realm="pve-mcp", error="invalid_token"`},
		{"two tokens", "Bearer " + tokAdmin + " " + tokReader, `Bearer realm="pve-mcp", error="invalid_token"`},
	} {
		resp, body := e.raw("", list, "Authorization", c.auth)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401: %s", c.name, resp.StatusCode, body)
		}
		if got := resp.Header.Get("WWW-Authenticate"); got != c.wantChallenge {
			t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, got, c.wantChallenge)
		}
		if strings.Contains(body, "tools") {
			t.Errorf("%s: the answer leaks the tool list: %s", c.name, body)
		}
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Fatalf("unauthenticated requests reached Proxmox: %d", n)
	}

	// Both admin tokens work (one is being rotated in); the scheme is case-insensitive.
	for _, tok := range []string{tokAdmin, tokAdminNew} {
		if n := len(e.listTools(tok)); n != len(oneClusterTools(t)) {
			t.Errorf("admin token sees %d tools, want %d", n, len(oneClusterTools(t)))
		}
	}
	resp, body := e.raw("", list, "Authorization", "bearer "+tokReader)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("lower-case bearer scheme: HTTP %d %s", resp.StatusCode, body)
	}

	// /healthz needs no token.
	hr, err := http.Get(e.srv.URL + "/healthz")
	if err != nil || hr.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %v %v", err, hr)
	}
	hr.Body.Close()
}

// Finishing a rotation: once the old token is removed from MCP_AUTH_TOKENS,
// it stops working and the new one keeps working.
func TestStaticTokenRotation(t *testing.T) {
	before := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": "ci:full:" + tokAdmin + ",ci-next:full:" + tokAdminNew})
	after := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": "ci-next:full:" + tokAdminNew})
	body := rpcBody(1, "tools/list", map[string]any{})
	for _, c := range []struct {
		e     *secEnv
		token string
		want  int
	}{
		{before, tokAdmin, 200}, {before, tokAdminNew, 200},
		{after, tokAdmin, 401}, {after, tokAdminNew, 200},
	} {
		if resp, b := c.e.raw(c.token, body); resp.StatusCode != c.want {
			t.Errorf("HTTP %d, want %d: %s", resp.StatusCode, c.want, b)
		}
	}
}

// tierTool is one tool of each tier, with arguments that succeed on the
// simulator seed (VM 103 running, VM 102 stopped).
var tierTools = []struct {
	tier tools.Tier
	name string
	args map[string]any
}{
	{tools.ReadOnly, "pve_get_qemu_status", map[string]any{"vmid": 102}},
	{tools.ReadExecute, "pve_stop_qemu_vm", map[string]any{"vmid": 103}},
	{tools.Full, "pve_delete_qemu_vm", map[string]any{"vmid": 102}},
}

// oneClusterTools are the tools of a deployment with one cluster, at tier
// full: every tool but those that exist only with several clusters.
func oneClusterTools(t *testing.T) []*tools.Tool {
	t.Helper()
	ts, err := tools.Select(tools.Selection{Tier: tools.Full})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func selectedNames(t *testing.T, sel tools.Selection) []string {
	t.Helper()
	ts, err := tools.Select(sel)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tl := range ts {
		out = append(out, tl.Name)
	}
	slices.Sort(out) // tools/list is sorted by name
	return out
}

// Every (deployment tier, caller tier) pair: the caller sees exactly the
// tools of the lower of the two and can call only those; a call above it is
// refused before anything reaches Proxmox.
func TestTierCombinations(t *testing.T) {
	callerTokens := map[tools.Tier]string{tools.ReadOnly: tokReader, tools.ReadExecute: tokOperator, tools.Full: tokAdmin}
	tokenEnv := "reader:read-only:" + tokReader + ",operator:read-execute:" + tokOperator + ",admin:full:" + tokAdmin
	for deployment := tools.ReadOnly; deployment <= tools.Full; deployment++ {
		for caller := tools.ReadOnly; caller <= tools.Full; caller++ {
			effective := min(deployment, caller)
			t.Run(deployment.String()+"/"+caller.String(), func(t *testing.T) {
				e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": tokenEnv, "PVE_ACCESS_TIER": deployment.String()})
				tok := callerTokens[caller]
				got := e.listTools(tok)
				want := selectedNames(t, tools.Selection{Tier: effective})
				if !slices.Equal(got, want) {
					t.Fatalf("tools/list: %d tools, want %d (tier %s)", len(got), len(want), effective)
				}
				for _, tt := range tierTools {
					e.sim.ResetRequests()
					res, err := e.call(tok, tt.name, tt.args)
					if tt.tier <= effective {
						if err != nil || res.IsError {
							t.Errorf("%s: want success, got %v %s", tt.name, err, res.text())
						}
						continue
					}
					if err == nil || !strings.Contains(err.Error(), "unknown tool") {
						t.Errorf("%s above the caller's tier: want an unknown-tool error, got %v %s", tt.name, err, res.text())
					}
					if len(e.sim.Requests()) != 0 {
						t.Errorf("%s refused, yet Proxmox got %v", tt.name, e.sim.Requests())
					}
				}
				// The audit log marks the refused calls.
				refused := 0
				for _, l := range e.logs.auditLines(t) {
					if l["outcome"] == OutcomeRefused {
						refused++
					}
				}
				if wantRefused := int(tools.Full - effective); refused != wantRefused {
					t.Errorf("%d refused audit lines, want %d", refused, wantRefused)
				}
			})
		}
	}
}

// Without authentication (loopback), everyone gets the deployment's tier.
func TestAnonymousGetsDeploymentTier(t *testing.T) {
	for tier := tools.ReadOnly; tier <= tools.Full; tier++ {
		e := newSecEnv(t, map[string]string{"PVE_ACCESS_TIER": tier.String()})
		if got, want := e.listTools(""), selectedNames(t, tools.Selection{Tier: tier}); !slices.Equal(got, want) {
			t.Errorf("%s: %d tools, want %d", tier, len(got), len(want))
		}
	}
}

// A token narrowed to categories sees only those, within the deployment's.
func TestTokenCategories(t *testing.T) {
	e := newSecEnv(t, map[string]string{
		"MCP_AUTH_TOKENS": "q:full:qemu:" + tokQemuOnly + ",ql:read-only:qemu+lxc+storage:" + tokReader + ",all:full:" + tokAdmin,
		"PVE_CATEGORIES":  "qemu,lxc,tasks",
	})
	cases := []struct {
		token string
		sel   tools.Selection
	}{
		{tokQemuOnly, tools.Selection{Tier: tools.Full, Categories: []tools.Category{tools.QEMU}}},
		// storage is not served by this deployment: dropped.
		{tokReader, tools.Selection{Tier: tools.ReadOnly, Categories: []tools.Category{tools.QEMU, tools.LXC}}},
		{tokAdmin, tools.Selection{Tier: tools.Full, Categories: []tools.Category{tools.QEMU, tools.LXC, tools.Tasks}}},
	}
	for _, c := range cases {
		got, want := e.listTools(c.token), selectedNames(t, c.sel)
		if !slices.Equal(got, want) {
			t.Errorf("categories %v: got %v, want %v", c.sel.Categories, got, want)
		}
	}
	if _, err := e.call(tokQemuOnly, "pve_get_lxc_status", map[string]any{"vmid": 200}); err == nil {
		t.Error("a qemu-only token called an lxc tool")
	}
	// A token whose categories the deployment does not serve at all is a startup error.
	_, err := tryNewSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": "s:full:storage:" + tokAdmin, "PVE_CATEGORIES": "qemu"})
	if err == nil || !strings.Contains(err.Error(), `token "s"`) {
		t.Errorf("disjoint categories: %v", err)
	}
}

// The deployment's allow and deny lists bind every caller.
func TestTokenTierKeepsDenyList(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": "admin:full:" + tokAdmin, "PVE_TOOL_BLACKLIST": "pve_delete_qemu_vm"})
	if slices.Contains(e.listTools(tokAdmin), "pve_delete_qemu_vm") {
		t.Fatal("denied tool listed")
	}
	if _, err := e.call(tokAdmin, "pve_delete_qemu_vm", map[string]any{"vmid": 102}); err == nil {
		t.Fatal("denied tool callable")
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("writes reached Proxmox: %v", w)
	}
}
