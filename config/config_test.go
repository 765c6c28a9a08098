package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/tools"
)

// Fake values for a valid configuration; each case changes some.
var validEnv = map[string]string{
	"PVE_BASE_URL":     "https://pve.example.com:8006",
	"PVE_TOKEN_ID":     "mcp@pve!agent",
	"PVE_TOKEN_SECRET": "0d4f9b8e-1c2a-4b3d-9e8f-7a6b5c4d3e2f",
}

func envWith(over map[string]string) func(string) string {
	m := map[string]string{}
	for k, v := range validEnv {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := config.FromEnv(envWith(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.PVE.BaseURL != validEnv["PVE_BASE_URL"] || c.PVE.TokenID != validEnv["PVE_TOKEN_ID"] || c.PVE.TokenSecret != validEnv["PVE_TOKEN_SECRET"] {
		t.Errorf("PVE = %+v", c.PVE)
	}
	if c.Tools.Tier != tools.Full || c.Tools.Categories != nil || c.Tools.Allow != nil || c.Tools.Deny != nil {
		t.Errorf("Tools = %+v, want tier full and everything", c.Tools)
	}
	if c.PVE.TLS.Insecure || c.PVE.TLS.CAFile != "" || c.PVE.TLS.Fingerprint != "" {
		t.Errorf("TLS = %+v, want verification against the system roots", c.PVE.TLS)
	}
	if c.PVE.Timeout != 30*time.Second || c.MaxResultBytes != tools.DefaultMaxResultBytes || c.SkipCheck || c.Debug || !c.HTTPStream {
		t.Errorf("timeout %v, max %d, skip %v, debug %v, stream %v", c.PVE.Timeout, c.MaxResultBytes, c.SkipCheck, c.Debug, c.HTTPStream)
	}
	// The documented defaults are the ones applied.
	for _, v := range config.Vars {
		switch v.Name {
		case "PVE_ACCESS_TIER":
			if v.Default != c.Tools.Tier.String() {
				t.Errorf("Vars says %s defaults to %q", v.Name, v.Default)
			}
		case "PVE_TIMEOUT":
			if v.Default != "30" {
				t.Errorf("Vars says %s defaults to %q", v.Name, v.Default)
			}
		}
	}
}

func TestFromEnvValid(t *testing.T) {
	ca := writeCA(t)
	fp := strings.Repeat("AB:", 31) + "CD"
	for _, tc := range []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{"tier read-only", map[string]string{"PVE_ACCESS_TIER": "read-only"}, func(t *testing.T, c config.Config) {
			if c.Tools.Tier != tools.ReadOnly {
				t.Errorf("tier %v", c.Tools.Tier)
			}
		}},
		{"tier any case and spaces", map[string]string{"PVE_ACCESS_TIER": " Read-Execute "}, func(t *testing.T, c config.Config) {
			if c.Tools.Tier != tools.ReadExecute {
				t.Errorf("tier %v", c.Tools.Tier)
			}
		}},
		{"categories", map[string]string{"PVE_CATEGORIES": "qemu, Nodes ,tasks"}, func(t *testing.T, c config.Config) {
			if !slices.Equal(c.Tools.Categories, []tools.Category{tools.QEMU, tools.Nodes, tools.Tasks}) {
				t.Errorf("categories %v", c.Tools.Categories)
			}
		}},
		{"allow and deny lists", map[string]string{"PVE_TOOL_WHITELIST": "pve_list_nodes, pve_start_qemu_vm", "PVE_TOOL_BLACKLIST": "pve_start_qemu_vm"}, func(t *testing.T, c config.Config) {
			if !slices.Equal(c.Tools.Allow, []string{"pve_list_nodes", "pve_start_qemu_vm"}) || !slices.Equal(c.Tools.Deny, []string{"pve_start_qemu_vm"}) {
				t.Errorf("allow %v deny %v", c.Tools.Allow, c.Tools.Deny)
			}
		}},
		{"verify off", map[string]string{"PVE_VERIFY_SSL": "false"}, func(t *testing.T, c config.Config) {
			if !c.PVE.TLS.Insecure {
				t.Error("verification still on")
			}
		}},
		{"verify on explicitly", map[string]string{"PVE_VERIFY_SSL": "1", "PVE_CA_CERT": ca}, func(t *testing.T, c config.Config) {
			if c.PVE.TLS.Insecure || c.PVE.TLS.CAFile != ca {
				t.Errorf("TLS %+v", c.PVE.TLS)
			}
		}},
		{"fingerprint", map[string]string{"PVE_TLS_FINGERPRINT": fp}, func(t *testing.T, c config.Config) {
			if c.PVE.TLS.Fingerprint != fp {
				t.Errorf("TLS %+v", c.PVE.TLS)
			}
		}},
		{"timeout and result cap", map[string]string{"PVE_TIMEOUT": "5", "PVE_MAX_RESULT_BYTES": "65536"}, func(t *testing.T, c config.Config) {
			if c.PVE.Timeout != 5*time.Second || c.MaxResultBytes != 65536 {
				t.Errorf("timeout %v max %d", c.PVE.Timeout, c.MaxResultBytes)
			}
		}},
		{"booleans in their usual spellings", map[string]string{"PVE_SKIP_CHECK": "yes", "DEBUG": "ON", "PVE_HTTP_STREAM": "off"}, func(t *testing.T, c config.Config) {
			if !c.SkipCheck || !c.Debug || c.HTTPStream {
				t.Errorf("skip %v debug %v stream %v", c.SkipCheck, c.Debug, c.HTTPStream)
			}
		}},
		{"base URL with the API path", map[string]string{"PVE_BASE_URL": "https://10.0.0.5:8006/api2/json"}, func(t *testing.T, c config.Config) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.FromEnv(envWith(tc.env), false)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestFromEnvInvalid(t *testing.T) {
	ca := writeCA(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // every one must appear in the error
	}{
		{"tier typo", map[string]string{"PVE_ACCESS_TIER": "ful"}, []string{"PVE_ACCESS_TIER", `"ful"`, "read-only", "read-execute", "full"}},
		{"tier of another server", map[string]string{"PVE_ACCESS_TIER": "admin"}, []string{"PVE_ACCESS_TIER", "read-only, read-execute, full"}},
		{"unknown category", map[string]string{"PVE_CATEGORIES": "qemu,vms"}, []string{"PVE_CATEGORIES", `"vms"`, "nodes, qemu, lxc"}},
		{"bad bool", map[string]string{"PVE_VERIFY_SSL": "maybe"}, []string{"PVE_VERIFY_SSL", `"maybe"`, "true or false"}},
		{"bad skip check", map[string]string{"PVE_SKIP_CHECK": "2"}, []string{"PVE_SKIP_CHECK", "true or false"}},
		{"bad stream switch", map[string]string{"PVE_HTTP_STREAM": "buffered"}, []string{"PVE_HTTP_STREAM", "true or false"}},
		{"bad debug", map[string]string{"DEBUG": "verbose"}, []string{"DEBUG", "true or false"}},
		{"timeout with unit", map[string]string{"PVE_TIMEOUT": "30s"}, []string{"PVE_TIMEOUT", `"30s"`, "1 to 900"}},
		{"timeout zero", map[string]string{"PVE_TIMEOUT": "0"}, []string{"PVE_TIMEOUT", "1 to 900"}},
		{"timeout too long", map[string]string{"PVE_TIMEOUT": "901"}, []string{"PVE_TIMEOUT", "1 to 900"}},
		{"concurrency zero", map[string]string{"PVE_MAX_CONCURRENCY": "0"}, []string{"PVE_MAX_CONCURRENCY", "1 to 256"}},
		{"base URL with credentials", map[string]string{"PVE_BASE_URL": "https://root:hunter2@pve.example.com:8006"}, []string{"PVE_BASE_URL", "credentials", "PVE_TOKEN_SECRET"}},
		{"result cap too small", map[string]string{"PVE_MAX_RESULT_BYTES": "100"}, []string{"PVE_MAX_RESULT_BYTES", "1024"}},
		{"bad fingerprint", map[string]string{"PVE_TLS_FINGERPRINT": "AB:CD:EF"}, []string{"PVE_TLS_FINGERPRINT", "SHA-256", "AB:CD"}},
		{"verify off with a CA", map[string]string{"PVE_VERIFY_SSL": "false", "PVE_CA_CERT": ca}, []string{"PVE_VERIFY_SSL=false", "PVE_CA_CERT"}},
		{"verify off with a pin", map[string]string{"PVE_VERIFY_SSL": "no", "PVE_TLS_FINGERPRINT": strings.Repeat("AB:", 31) + "CD"}, []string{"PVE_VERIFY_SSL=false", "PVE_TLS_FINGERPRINT"}},
		{"CA and pin", map[string]string{"PVE_CA_CERT": ca, "PVE_TLS_FINGERPRINT": strings.Repeat("AB:", 31) + "CD"}, []string{"either PVE_CA_CERT or PVE_TLS_FINGERPRINT"}},
		{"CA file missing", map[string]string{"PVE_CA_CERT": filepath.Join(t.TempDir(), "nope.pem")}, []string{"PVE_CA_CERT", "nope.pem"}},
		{"unknown tool in whitelist", map[string]string{"PVE_TOOL_WHITELIST": "pve_list_nodes,pve_list_nodez"}, []string{"PVE_TOOL_WHITELIST", "pve_list_nodez"}},
		{"unknown tool in blacklist", map[string]string{"PVE_TOOL_BLACKLIST": "pve_delete_vm"}, []string{"PVE_TOOL_BLACKLIST", "pve_delete_vm"}},
		{"base URL without scheme", map[string]string{"PVE_BASE_URL": "pve.example.com:8006"}, []string{"PVE_BASE_URL", "https://"}},
		{"token id without token name", map[string]string{"PVE_TOKEN_ID": "root@pam"}, []string{"PVE_TOKEN_ID", "user@realm!tokenname"}},
		{"base URL missing", map[string]string{"PVE_BASE_URL": ""}, []string{"PVE_BASE_URL is required", "-demo"}},
		{"token id missing", map[string]string{"PVE_TOKEN_ID": " "}, []string{"PVE_TOKEN_ID is required"}},
		{"token secret missing", map[string]string{"PVE_TOKEN_SECRET": ""}, []string{"PVE_TOKEN_SECRET is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.FromEnv(envWith(tc.env), false)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), validEnv["PVE_TOKEN_SECRET"]) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the token secret: %v", err)
			}
		})
	}
}

// TestFromEnvAllProblemsAtOnce: a user fixing a configuration sees every
// problem in one run, not one per restart.
func TestFromEnvAllProblemsAtOnce(t *testing.T) {
	env := map[string]string{
		"PVE_BASE_URL":       "https://pve.example.com:8006",
		"PVE_TOKEN_ID":       "mcp@pve!agent",
		"PVE_ACCESS_TIER":    "readonly",
		"PVE_CATEGORIES":     "qemu,containers",
		"PVE_TIMEOUT":        "-1",
		"PVE_VERIFY_SSL":     "nope",
		"PVE_TOOL_WHITELIST": "pve_list_vms",
	}
	_, err := config.FromEnv(func(k string) string { return env[k] }, false)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{"PVE_TOKEN_SECRET is required", "PVE_ACCESS_TIER", "PVE_CATEGORIES", "PVE_TIMEOUT", "PVE_VERIFY_SSL", "pve_list_vms"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not report %s:\n%v", w, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 6 {
		t.Errorf("%d lines, want one per problem (6):\n%v", n, err)
	}
}

func TestFromEnvDemo(t *testing.T) {
	// Demo mode needs no cluster address or token.
	c, err := config.FromEnv(func(string) string { return "" }, true)
	if err != nil {
		t.Fatalf("demo with an empty environment: %v", err)
	}
	if c.Tools.Tier != tools.Full {
		t.Errorf("tier %v", c.Tools.Tier)
	}
	// The other settings are still checked.
	_, err = config.FromEnv(func(k string) string {
		if k == "PVE_ACCESS_TIER" {
			return "fulll"
		}
		return ""
	}, true)
	if err == nil || !strings.Contains(err.Error(), "PVE_ACCESS_TIER") {
		t.Errorf("demo with a tier typo: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "required") {
		t.Errorf("demo requires a variable: %v", err)
	}
}

// writeCA writes a throwaway self-signed CA certificate and returns its path.
func writeCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pve-mcp test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Settings that work but weaken security are warned about at startup.
func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{nil, nil},
		{map[string]string{"PVE_VERIFY_SSL": "false"}, []string{"PVE_VERIFY_SSL=false", "PVE_TLS_FINGERPRINT"}},
		{map[string]string{"PVE_BASE_URL": "http://pve.example.com:8006"}, []string{"http://", "in clear"}},
		{map[string]string{"PVE_BASE_URL": "HTTP://pve.example.com:8006", "PVE_VERIFY_SSL": "0"}, []string{"PVE_VERIFY_SSL=false", "http://"}},
	} {
		c, err := config.FromEnv(envWith(tc.env), false)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(c.Warnings(), "\n")
		if len(tc.want) == 0 && got != "" {
			t.Errorf("%v: unexpected warnings %q", tc.env, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: warnings %q lack %q", tc.env, got, w)
			}
		}
	}
	if c, _ := config.FromEnv(envWith(nil), false); c.PVE.MaxConcurrency != 8 {
		t.Errorf("PVE_MAX_CONCURRENCY default %d", c.PVE.MaxConcurrency)
	}
}
