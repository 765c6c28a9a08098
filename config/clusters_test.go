package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/tools"
)

var twoClusters = `{"default": "lab", "clusters": [
 {"name": "lab", "url": "https://pve-lab.example.com:8006", "token_id": "mcp@pve!lab", "token_secret": "11111111-1111-4111-8111-111111111111"},
 {"name": "office", "url": "https://pve-office.example.com:8006", "secret_arn": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:office-AbCdEf",
  "tier": "read-only", "fingerprint": "` + fp + `", "timeout": 10,
  "callers": {"token:alice": {"token_id": "alice@pve!mcp", "token_secret": "22222222-2222-4222-8222-222222222222"},
              "oauth:bob": {"secret_arn": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:bob-AbCdEf"}},
  "unmapped_callers": "cluster_token"}]}`

var fp = strings.Repeat("AB:", 31) + "CD"

func TestParseClusters(t *testing.T) {
	cs, def, err := ParseClusters(twoClusters, false)
	if err != nil {
		t.Fatal(err)
	}
	if def != "lab" || len(cs) != 2 {
		t.Fatalf("default %q, %d clusters", def, len(cs))
	}
	lab, office := cs[0], cs[1]
	if lab.Ceiling != tools.Full || lab.SharedToken != true || lab.PVE.TokenID != "mcp@pve!lab" || lab.Callers != nil {
		t.Errorf("lab = %+v", lab)
	}
	if office.Ceiling != tools.ReadOnly || office.SecretARN == "" || office.PVE.TLS.Fingerprint != fp || office.PVE.Timeout.Seconds() != 10 ||
		!office.SharedToken || office.Callers["token:alice"].TokenID != "alice@pve!mcp" || office.Callers["oauth:bob"].SecretARN == "" {
		t.Errorf("office = %+v", office)
	}
	// One cluster is its own default.
	cs, def, err = ParseClusters(`{"clusters":[{"name":"solo","url":"https://pve.example.com:8006","token_id":"a@pve!t","token_secret":"s"}]}`, false)
	if err != nil || def != "solo" || len(cs) != 1 {
		t.Errorf("one cluster: %v %q %v", cs, def, err)
	}
}

func TestParseClustersRefuses(t *testing.T) {
	const secret = "99999999-9999-4999-8999-999999999999"
	entry := func(extra string) string {
		return `{"clusters":[{"name":"lab","url":"https://pve.example.com:8006","token_id":"a@pve!t","token_secret":"` + secret + `"` + extra + `}]}`
	}
	for _, tc := range []struct{ name, raw, want string }{
		{"not JSON", `{"clusters":`, "not valid JSON"},
		{"a misspelt field", entry(`,"teir":"read-only"`), `unknown field "teir"`},
		{"no cluster", `{"clusters":[]}`, "lists no cluster"},
		{"a bad name", `{"clusters":[{"name":"Lab One","url":"https://a:8006","token_id":"a@pve!t","token_secret":"x"}]}`, "cluster #1: name must be"},
		{"a name twice", `{"clusters":[{"name":"a","url":"https://a:8006","token_id":"a@pve!t","token_secret":"x"},{"name":"a","url":"https://b:8006","token_id":"a@pve!t","token_secret":"x"}]}`, "cluster a is listed twice"},
		{"an unknown default", `{"default":"prod","clusters":[{"name":"a","url":"https://a:8006","token_id":"a@pve!t","token_secret":"x"}]}`, `default "prod" is not one of the clusters`},
		{"no url", `{"clusters":[{"name":"a","token_id":"a@pve!t","token_secret":"x"}]}`, "cluster a: url is required"},
		{"no token", `{"clusters":[{"name":"a","url":"https://a:8006"}]}`, "cluster a: token_id and token_secret (or secret_arn) are required"},
		{"token and secret", entry(`,"secret_arn":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:x-AbCdEf"`), "set either secret_arn or token_id"},
		{"a bad secret ARN", `{"clusters":[{"name":"a","url":"https://a:8006","secret_arn":"my-secret"}]}`, "secret_arn must be a Secrets Manager secret ARN"},
		{"a bad tier", entry(`,"tier":"root"`), "cluster lab: tier:"},
		{"verify off and a pin", entry(`,"verify_ssl":false,"fingerprint":"` + fp + `"`), "verify_ssl false contradicts"},
		{"a bad timeout", entry(`,"timeout":901`), "timeout must be 1 to 900"},
		{"a bad unmapped_callers", entry(`,"unmapped_callers":"yes"`), `unmapped_callers must be "refuse" or "cluster_token"`},
		{"a caller without a token", entry(`,"callers":{"token:alice":{}}`), `caller "token:alice": needs secret_arn, or token_id`},
		{"a caller token id malformed", entry(`,"callers":{"token:alice":{"token_id":"alice","token_secret":"x"}}`), `caller "token:alice": needs secret_arn, or token_id`},
		{"a caller that cannot exist", entry(`,"callers":{"alice":{"token_id":"alice@pve!mcp","token_secret":"x"}}`), `caller "alice": name callers as the audit log does`},
		{"token_secret_env unset", entry(`,"token_secret_env":"NOT_SET_ANYWHERE_42"`), "set either token_secret or token_secret_env"},
		{"a bad url", `{"clusters":[{"name":"a","url":"ftp://a","token_id":"a@pve!t","token_secret":"x"}]}`, "cluster a: PVE_BASE_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseClusters(tc.raw, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error quotes a token secret: %v", err)
			}
		})
	}
	// Callers refused by default once any caller has its own token.
	cs, _, err := ParseClusters(entry(`,"callers":{"token:alice":{"token_id":"alice@pve!mcp","token_secret":"x"}}`), false)
	if err != nil || cs[0].SharedToken {
		t.Errorf("with callers and no unmapped_callers, SharedToken = %v (%v), want false", cs[0].SharedToken, err)
	}
}

// A token secret can come from an environment variable the list names.
func TestClusterSecretsFromEnv(t *testing.T) {
	const secret = "77777777-7777-4777-8777-777777777777"
	raw := `{"clusters":[{"name":"lab","url":"https://pve.example.com:8006","token_id":"a@pve!t","token_secret_env":"LAB_SECRET",
	  "callers":{"token:alice":{"token_id":"alice@pve!mcp","token_secret_env":"ALICE_SECRET"}}}]}`
	env := map[string]string{"PVE_CLUSTERS": raw, "LAB_SECRET": secret, "ALICE_SECRET": secret + "a"}
	c, err := FromEnv(func(k string) string { return env[k] }, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Clusters[0].PVE.TokenSecret != secret || c.Clusters[0].Callers["token:alice"].TokenSecret != secret+"a" {
		t.Errorf("secrets not read from the environment: %+v", c.Clusters[0])
	}
	delete(env, "ALICE_SECRET")
	_, err = FromEnv(func(k string) string { return env[k] }, false)
	if err == nil || !strings.Contains(err.Error(), "token_secret_env names ALICE_SECRET, which is not set") {
		t.Errorf("unset variable: %v", err)
	}
	env["PVE_CLUSTERS"] = strings.Replace(raw, `"token_secret_env":"LAB_SECRET"`, `"token_secret_env":"LAB SECRET"`, 1)
	if _, err = FromEnv(func(k string) string { return env[k] }, false); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("bad variable name: %v", err)
	}
}

func TestClustersFromEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "clusters.json")
	if err := os.WriteFile(file, []byte(twoClusters), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		want     string // error part; "" for success
		default_ string
	}{
		{"inline", map[string]string{"PVE_CLUSTERS": twoClusters}, "", "lab"},
		{"a file", map[string]string{"PVE_CLUSTERS_FILE": file}, "", "lab"},
		{"a secret", map[string]string{"PVE_CLUSTERS_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:c-AbCdEf"}, "", ""},
		{"two sources", map[string]string{"PVE_CLUSTERS": twoClusters, "PVE_CLUSTERS_FILE": file}, "set only one of PVE_CLUSTERS", ""},
		{"with PVE_BASE_URL", map[string]string{"PVE_CLUSTERS": twoClusters, "PVE_BASE_URL": "https://x:8006"}, "PVE_BASE_URL is set together with the cluster list", ""},
		{"a missing file", map[string]string{"PVE_CLUSTERS_FILE": file + ".nope"}, "PVE_CLUSTERS_FILE:", ""},
		{"a token naming a cluster", map[string]string{"PVE_CLUSTERS": twoClusters,
			"MCP_AUTH_TOKENS": `[{"name":"ci","tier":"full","clusters":["lab"],"confirm":"off","token":"` + strings.Repeat("a", 32) + `"}]`}, "", "lab"},
		{"a token naming an unknown cluster", map[string]string{"PVE_CLUSTERS": twoClusters,
			"MCP_AUTH_TOKENS": `[{"name":"ci","tier":"full","clusters":["prod"],"token":"` + strings.Repeat("a", 32) + `"}]`}, `token ci names cluster "prod", which is not in PVE_CLUSTERS`, ""},
		{"a token's bad confirm", map[string]string{"PVE_CLUSTERS": twoClusters,
			"MCP_AUTH_TOKENS": `[{"name":"ci","tier":"full","confirm":"maybe","token":"` + strings.Repeat("a", 32) + `"}]`}, "confirm: unknown confirmation policy", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromEnv(func(k string) string { return tc.env[k] }, false)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DefaultCluster != tc.default_ {
				t.Errorf("default = %q, want %q", c.DefaultCluster, tc.default_)
			}
		})
	}
}
