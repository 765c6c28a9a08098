package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/secrets/secretstest"
)

// Fake tokens of the two-cluster fixture; never real values.
const (
	officeTokenID     = "mcp@pve!office"
	officeTokenSecret = "00000000-0ff1-4000-8000-000000000000"
	aliceTokenID      = "alice@pve!mcp"
	aliceSecret       = "00000000-a11c-4000-8000-000000000000"
	aliceRotated      = "00000000-a11c-4000-8000-000000000002"

	tokAlice   = "aliceTOKENaliceTOKENaliceTOKEN0011"
	tokOps     = "opsTOKENopsTOKENopsTOKENopsTOK0012"
	tokLabOnly = "labONLYlabONLYlabONLYlabONLY00013"
	tokAuto    = "autoTOKENautoTOKENautoTOKENaut0014"
)

// fleetEnv is the handler in front of three clusters: lab (the default,
// the usual simulator), office (a second simulator whose cluster token and
// alice's own token are in Secrets Manager) and dead (nothing listens).
type fleetEnv struct {
	*secEnv
	office *pvesim.Sim
	sm     *secretstest.Server
	arns   map[string]string
}

func newFleetEnv(t *testing.T, extra map[string]string) *fleetEnv {
	t.Helper()
	sm := secretstest.New(t)
	orig := newSecretsAPI
	t.Cleanup(func() { newSecretsAPI = orig })
	newSecretsAPI = func(context.Context) (secrets.API, error) { return sm.Client(t), nil }
	arns := map[string]string{"office": secretstest.ARN("office-token"), "alice": secretstest.ARN("alice-token")}
	put := func(arn, id, secret string) {
		b, _ := json.Marshal(map[string]string{"token_id": id, "token_secret": secret})
		sm.Put(arn, string(b))
	}
	put(arns["office"], officeTokenID, officeTokenSecret)
	put(arns["alice"], aliceTokenID, aliceSecret)

	office := pvesim.New(pvesim.Options{TokenID: officeTokenID, TokenSecret: officeTokenSecret, Site: "office",
		Tokens: map[string]string{aliceTokenID: aliceSecret}})
	officeSrv := httptest.NewServer(office)
	t.Cleanup(officeSrv.Close)

	tokens, _ := json.Marshal([]map[string]any{
		{"name": "alice", "tier": "full", "token": tokAlice},
		{"name": "ops", "tier": "full", "token": tokOps},
		{"name": "lab-only", "tier": "read-only", "clusters": []string{"lab"}, "token": tokLabOnly},
		{"name": "auto", "tier": "full", "confirm": "off", "token": tokAuto},
	})
	env := map[string]string{"MCP_AUTH_TOKENS": string(tokens)}
	for k, v := range extra {
		env[k] = v
	}
	// The lab's address is the usual fixture's simulator; the list is
	// written once it is known.
	var e *secEnv
	e, err := tryNewFleetSecEnv(t, env, func(labURL string) string {
		return fmt.Sprintf(`{"default": "lab", "clusters": [
 {"name": "lab", "url": %q, "token_id": %q, "token_secret": %q},
 {"name": "office", "url": %q, "secret_arn": %q, "callers": {"token:alice": {"secret_arn": %q}, "token:auto": {"token_id": %q, "token_secret": %q}}},
 {"name": "dead", "url": "http://127.0.0.1:1", "token_id": "mcp@pve!dead", "token_secret": "x", "tier": "read-only", "timeout": 2}]}`,
			labURL, simTokenID, simTokenSecret, officeSrv.URL, arns["office"], arns["alice"], aliceTokenID, aliceSecret)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fleetEnv{secEnv: e, office: office, sm: sm, arns: arns}
}

// tryNewFleetSecEnv is tryNewSecEnv with PVE_CLUSTERS built around its simulator.
func tryNewFleetSecEnv(t *testing.T, env map[string]string, clusters func(labURL string) string) (*secEnv, error) {
	// The lab simulator, behind its wire log; the tokens name clusters,
	// so they are read once the list is known.
	noTokens := map[string]string{}
	for k, v := range env {
		noTokens[k] = v
	}
	noTokens["MCP_AUTH_TOKENS"] = "stand-in:full:" + tokAdmin // replaced below
	base, err := tryNewSecEnv(t, noTokens)
	if err != nil {
		return nil, err
	}
	cfg := base.cfg
	if cfg.Auth.Tokens, err = config.ParseTokens(env["MCP_AUTH_TOKENS"]); err != nil {
		return nil, err
	}
	parsed, def, err := config.ParseClusters(clusters(cfg.PVE.BaseURL), false)
	if err != nil {
		return nil, err
	}
	cfg.Clusters, cfg.DefaultCluster = parsed, def
	if err := config.CheckTokenClusters(cfg.Auth.Tokens, cfg.Clusters); err != nil {
		return nil, err
	}
	return serveConfig(t, cfg, base.sim, base.wire)
}

// officeTokens lists the tokens the office simulator saw, in order, but
// for the startup check (GET /version, which runs in the background).
func (f *fleetEnv) officeTokens() []string {
	var out []string
	for _, r := range f.office.Requests() {
		if r.Path != "/version" {
			out = append(out, r.TokenID)
		}
	}
	return out
}

// clusterChoices maps each tool token's caller sees to the clusters its
// cluster argument offers (nil: it takes none).
func (f *fleetEnv) clusterChoices(token string) map[string][]string {
	f.t.Helper()
	r := f.rpc(token, "tools/list", map[string]any{})
	var list struct {
		Tools []struct {
			Name        string `json:"name"`
			InputSchema struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"inputSchema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(r.Result, &list); err != nil {
		f.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, tl := range list.Tools {
		p, ok := tl.InputSchema.Properties["cluster"]
		if ok {
			out[tl.Name] = p.Enum
		} else {
			out[tl.Name] = nil
		}
	}
	return out
}

func TestFleetCallsReachTheirCluster(t *testing.T) {
	f := newFleetEnv(t, nil)
	cases := []struct {
		name, token, tool string
		args              map[string]any
		want, wantErr     string
		officeSees        string // the token the office simulator must see, "" none
	}{
		{"the default cluster", tokAlice, "pve_get_qemu_status", map[string]any{"vmid": 100}, `"name":"web01"`, "", ""},
		{"office as alice, with her own token", tokAlice, "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "office"}, `"name":"erp01"`, "", aliceTokenID},
		{"office as ops, who has none there", tokOps, "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "office"}, "", "caller token:ops has no Proxmox token of its own on cluster office", ""},
		{"the lab as ops", tokOps, "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "lab"}, `"name":"web01"`, "", ""},
		{"a caller limited to the lab", tokLabOnly, "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "office"}, "", `unknown cluster "office": use one of lab`, ""},
		{"a cluster that is down", tokAlice, "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "dead"}, "", "cluster dead: ", ""},
		{"a write above the dead cluster's ceiling", tokAlice, "pve_start_qemu_vm", map[string]any{"vmid": 100, "cluster": "dead"}, "", "cluster dead allows only read-only tools", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.office.ResetRequests()
			res, err := f.call(c.token, c.tool, c.args)
			if err != nil {
				t.Fatal(err)
			}
			if c.wantErr != "" {
				if !res.IsError || !strings.Contains(res.text(), c.wantErr) {
					t.Fatalf("got %q, want an error with %q", res.text(), c.wantErr)
				}
			} else if res.IsError || !strings.Contains(res.text(), c.want) {
				t.Fatalf("got %q, want %q", res.text(), c.want)
			}
			seen := f.officeTokens()
			if c.officeSees == "" && len(seen) > 0 {
				t.Errorf("office saw requests with %v", seen)
			}
			for _, s := range seen {
				if s != c.officeSees {
					t.Errorf("office saw a request made with %q, want %q", s, c.officeSees)
				}
			}
			if c.officeSees != "" && len(seen) == 0 {
				t.Error("office saw no request")
			}
		})
	}
	// alice's secret is read once, on her first call, not at startup.
	if n := f.sm.Calls(f.arns["alice"]); n != 1 {
		t.Errorf("alice's token secret read %d times, want 1", n)
	}
	// The audit line names each call's cluster.
	var clusters []string
	for _, l := range f.logs.auditLines(t) {
		cl, _ := l["cluster"].(string)
		clusters = append(clusters, cl)
	}
	if want := []string{"lab", "office", "office", "lab", "office", "dead", "dead"}; !slices.Equal(clusters, want) {
		t.Errorf("audit clusters = %v, want %v", clusters, want)
	}
}

// A caller limited to one cluster sees only it in every schema, and the
// tools across clusters look only there.
func TestFleetCallerLimitedToOneCluster(t *testing.T) {
	f := newFleetEnv(t, nil)
	choices := f.clusterChoices(tokLabOnly)
	if len(choices) == 0 {
		t.Fatal("no tools")
	}
	for name, enum := range choices {
		if enum != nil && !slices.Equal(enum, []string{"lab"}) {
			t.Errorf("%s offers clusters %v to a lab-only caller", name, enum)
		}
	}
	res, err := f.call(tokLabOnly, "pve_find_guests", map[string]any{"name": "01"})
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, res.text())
	}
	if strings.Contains(res.text(), `"cluster":"office"`) || !strings.Contains(res.text(), `"cluster":"lab"`) {
		t.Errorf("lab-only find = %s", res.text())
	}
}

// A cluster that does not answer never stops the others.
func TestFleetClusterDown(t *testing.T) {
	f := newFleetEnv(t, nil)
	res, err := f.call(tokAlice, "pve_list_clusters", nil)
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, res.text())
	}
	var infos []struct {
		Name     string `json:"name"`
		Answers  bool   `json:"answers"`
		Error    string `json:"error"`
		ActingAs string `json:"acting_as"`
	}
	json.Unmarshal([]byte(res.text()), &infos)
	got := map[string]bool{}
	for _, i := range infos {
		got[i.Name] = i.Answers
	}
	if len(infos) != 3 || !got["lab"] || !got["office"] || got["dead"] || infos[1].ActingAs != aliceTokenID {
		t.Fatalf("pve_list_clusters = %s", res.text())
	}
	res, _ = f.call(tokAlice, "pve_find_guests", map[string]any{"status": "running"})
	if res.IsError || !strings.Contains(res.text(), `"cluster":"office"`) || !strings.Contains(res.text(), "did not answer: cluster dead") {
		t.Fatalf("find with dead down = %s", res.text())
	}
}

// A caller's confirmation policy (its token's confirm) replaces the
// deployment's: here auto's calls never ask, ops's do.
func TestFleetPerCallerConfirm(t *testing.T) {
	f := newFleetEnv(t, map[string]string{"PVE_CONFIRM": "destructive"})
	res, _ := f.call(tokOps, "pve_stop_qemu_vm", map[string]any{"vmid": 103})
	if !strings.Contains(res.text(), "CONFIRMATION NEEDED") {
		t.Fatalf("ops stopped a VM without being asked: %s", res.text())
	}
	res, _ = f.call(tokAuto, "pve_stop_qemu_vm", map[string]any{"vmid": 103})
	if res.IsError || strings.Contains(res.text(), "CONFIRMATION") {
		t.Fatalf("auto was asked or failed: %s", res.text())
	}
	// auto acts on office with its own (inline) token.
	f.office.ResetRequests()
	if res, _ = f.call(tokAuto, "pve_get_qemu_status", map[string]any{"vmid": 110, "cluster": "office"}); res.IsError {
		t.Fatal(res.text())
	}
	if seen := f.officeTokens(); len(seen) == 0 || seen[0] != aliceTokenID {
		t.Errorf("auto's office call made with %v", seen)
	}
}

// A rotated caller token is read again on Proxmox's 401, once.
func TestFleetCallerTokenRotation(t *testing.T) {
	f := newFleetEnv(t, nil)
	if res, _ := f.call(tokAlice, "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "office"}); res.IsError {
		t.Fatal(res.text())
	}
	b, _ := json.Marshal(map[string]string{"token_id": aliceTokenID, "token_secret": aliceRotated})
	f.sm.Put(f.arns["alice"], string(b))
	f.office.SetToken(aliceTokenID, aliceRotated)
	res, _ := f.call(tokAlice, "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "office"})
	if res.IsError {
		t.Fatalf("after rotation: %s", res.text())
	}
	if n := f.sm.Calls(f.arns["alice"]); n != 2 {
		t.Errorf("alice's secret read %d times, want 2 (first call, then once after the 401)", n)
	}
	for _, l := range strings.Split(f.logs.String(), "\n") {
		if strings.Contains(l, aliceSecret) || strings.Contains(l, aliceRotated) || strings.Contains(l, officeTokenSecret) {
			t.Fatalf("a log line holds a token secret: %s", l)
		}
	}
}

// OAuth scopes pve:cluster:NAME narrow a caller to those clusters; the
// server of that selection is built on first use and then shared.
func TestFleetOAuthClusterScopes(t *testing.T) {
	iss := newTestIssuer(t)
	k := iss.addKey("k1", "RS256")
	f := newFleetEnv(t, map[string]string{"MCP_AUTH": "tokens,oauth", "MCP_OAUTH_ISSUER": iss.URL, "MCP_OAUTH_AUDIENCE": testAudience})
	before := f.built.servers.len()
	cases := []struct {
		scope string
		want  []string // the clusters pve_get_qemu_status offers
	}{
		{"pve:read", []string{"lab", "office", "dead"}},
		{"pve:read pve:cluster:office", []string{"office"}},
		{"pve:read pve:cluster:office pve:cluster:lab", []string{"lab", "office"}},
		{"pve:read pve:cluster:mars pve:cluster:lab", []string{"lab"}}, // a cluster of another deployment is ignored
	}
	for _, c := range cases {
		got := f.clusterChoices(sign(t, k, iss.claims("carol", c.scope)))["pve_get_qemu_status"]
		if !slices.Equal(got, c.want) {
			t.Errorf("scope %q: clusters %v, want %v", c.scope, got, c.want)
		}
	}
	// pve:cluster:office alone and office+lab are new selections; lab alone
	// at read-only is lab-only's, built at startup. Asking again builds
	// nothing more.
	after := f.built.servers.len()
	tok := sign(t, k, iss.claims("dave", "pve:read pve:cluster:office"))
	f.rpc(tok, "tools/list", map[string]any{})
	if f.built.servers.len() != after || after-before != 2 {
		t.Errorf("servers: %d at startup, %d after four scopes, %d after a repeat; want 2 new, then none", before, after, f.built.servers.len())
	}
	// A caller whose scopes name only other deployments' clusters has no tool.
	tok = sign(t, k, iss.claims("erin", "pve:read pve:cluster:mars"))
	if names := f.listTools(tok); len(names) != 0 {
		t.Errorf("a caller of no cluster here sees %v", names)
	}
}

// The audit line names the cluster a read really went to: a completion
// from office's vmids says office, a resource read by a lab-only caller lab.
func TestFleetAuditNamesTheBoundCluster(t *testing.T) {
	f := newFleetEnv(t, nil)
	r := f.rpc(tokAlice, "completion/complete", map[string]any{
		"ref":      map[string]any{"type": "ref/prompt", "name": "guest_wont_start"},
		"argument": map[string]any{"name": "vmid", "value": "1"},
		"context":  map[string]any{"arguments": map[string]string{"cluster": "office"}},
	})
	if r.Error != nil || !strings.Contains(string(r.Result), "110") {
		t.Fatalf("completion from office = %s %v", r.Result, r.Error)
	}
	f.rpc(tokAlice, "resources/read", map[string]any{"uri": "pve://guest/100/config?cluster=office"})
	f.rpc(tokAlice, "resources/read", map[string]any{"uri": "pve://guest/100/config"})
	var got []string
	for _, l := range f.logs.auditLines(t) {
		got = append(got, fmt.Sprint(l["tool"], "@", l["cluster"]))
	}
	want := []string{"completion/complete@office", "resources/read@office", "resources/read@lab"}
	if !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

// A cluster list of one still narrows callers by their cluster scopes: a
// token naming only another deployment's cluster gets nothing here.
func TestOneListedClusterNarrowsCallers(t *testing.T) {
	s := newServerSet(config.Config{}.Tools, []string{"solo"}, nil)
	if k := s.keyFor(&Caller{Clusters: []string{}}, 0); k.clusters != "-" {
		t.Errorf("a caller of no listed cluster gets key %+v", k)
	}
	if k := s.keyFor(&Caller{Clusters: []string{"solo"}}, 0); k.clusters != "solo" {
		t.Errorf("a caller of solo gets key %+v", k)
	}
	if k := newServerSet(config.Config{}.Tools, nil, nil).keyFor(&Caller{Clusters: []string{}}, 0); k.clusters != "" {
		t.Errorf("without a cluster list, cluster scopes narrow nothing: %+v", k)
	}
}
