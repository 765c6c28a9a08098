package config

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/tools"
)

// Several clusters (issue 15): PVE_CLUSTERS names each Proxmox cluster the
// server talks to, with its address, token, TLS settings and tier ceiling,
// and optionally the Proxmox token each caller acts with there. Without it
// the server talks to the one cluster of PVE_BASE_URL, exactly as before.

// Cluster is one named Proxmox cluster.
type Cluster struct {
	Name string
	// PVE is how to reach it; the token is empty when SecretARN holds it.
	PVE pve.Config
	// SecretARN names a Secrets Manager secret holding the cluster's token
	// as {"token_id": ..., "token_secret": ...}.
	SecretARN string
	// Ceiling is the most any caller may do on this cluster (the
	// deployment's PVE_ACCESS_TIER and the caller's tier still apply).
	Ceiling tools.Tier
	// Callers maps a caller (a bearer token's name, an OAuth subject) to the
	// Proxmox token it acts with here, so Proxmox's ACLs and task log apply
	// to the person behind each agent.
	Callers map[string]CallerToken
	// SharedToken lets callers without an entry in Callers act with the
	// cluster's own token. Without it, and with Callers set, they are
	// refused; with no Callers at all, every caller uses the cluster token.
	SharedToken bool
}

// CallerToken is one caller's own Proxmox token on a cluster: given inline
// or, better, as a Secrets Manager secret read on first use.
type CallerToken struct {
	TokenID, TokenSecret string
	SecretARN            string
}

// ClusterVars documents the variables clustersFromEnv reads.
var ClusterVars = []Var{
	{"PVE_CLUSTERS", "", "several clusters, as JSON `{\"default\": NAME, \"clusters\": [{\"name\", \"url\", \"token_id\", \"token_secret\" or \"secret_arn\", \"tier\", ...}]}` (see docs/clusters.md); replaces PVE_BASE_URL and the token variables"},
	{"PVE_CLUSTERS_FILE", "", "file holding the PVE_CLUSTERS JSON"},
	{"PVE_CLUSTERS_SECRET_ARN", "", "AWS Secrets Manager secret holding the PVE_CLUSTERS JSON, read at startup"},
}

// clusterNameRE is a cluster name: short, lower case, safe in an enum, a
// log line and a Secrets Manager path.
var clusterNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

type clustersJSON struct {
	Default  string        `json:"default"`
	Clusters []clusterJSON `json:"clusters"`
}

type clusterJSON struct {
	Name        string `json:"name"`
	URL         string `json:"url"`
	TokenID     string `json:"token_id"`
	TokenSecret string `json:"token_secret"`
	// TokenSecretEnv names an environment variable holding token_secret,
	// so the list can live in a file or a parameter without the secret.
	TokenSecretEnv string                `json:"token_secret_env"`
	SecretARN      string                `json:"secret_arn"`
	VerifySSL      *bool                 `json:"verify_ssl"`
	CACert         string                `json:"ca_cert"`
	Fingerprint    string                `json:"fingerprint"`
	Tier           string                `json:"tier"`
	Timeout        int                   `json:"timeout"`
	Callers        map[string]callerJSON `json:"callers"`
	// UnmappedCallers is "cluster_token" (callers without their own token
	// act with the cluster's) or "refuse" (the default once callers is set).
	UnmappedCallers string `json:"unmapped_callers"`
}

type callerJSON struct {
	TokenID        string `json:"token_id"`
	TokenSecret    string `json:"token_secret"`
	TokenSecretEnv string `json:"token_secret_env"`
	SecretARN      string `json:"secret_arn"`
}

// tokenSourceErr refuses a token given both as a secret and inline, and a
// secret_arn that is no Secrets Manager ARN.
func tokenSourceErr(who, arn, id, secret string) error {
	switch {
	case arn != "" && (id != "" || secret != ""):
		return fmt.Errorf("%s: set either secret_arn or token_id and token_secret, not both", who)
	case arn != "" && !secretARNPattern.MatchString(arn):
		return fmt.Errorf("%s: secret_arn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX)", who)
	}
	return nil
}

// secretFromEnv resolves token_secret_env into the secret: exclusive with
// token_secret, and the variable must be set. Errors name the variable,
// never its value.
func secretFromEnv(who, secret, envName string, getenv func(string) string) (string, error) {
	envName = strings.TrimSpace(envName)
	if envName == "" {
		return secret, nil
	}
	if secret != "" {
		return "", fmt.Errorf("%s: set either token_secret or token_secret_env, not both", who)
	}
	if !envNameRE.MatchString(envName) {
		return "", fmt.Errorf("%s: token_secret_env must name an environment variable (A-Z, 0-9, _)", who)
	}
	v := strings.TrimSpace(getenv(envName))
	if v == "" {
		return "", fmt.Errorf("%s: token_secret_env names %s, which is not set", who, envName)
	}
	return v, nil
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// ParseClusters reads the PVE_CLUSTERS JSON. Errors name the cluster and
// the field, never a value that may be a secret. With demo set, addresses
// and tokens are not required (the simulator supplies them).
func ParseClusters(raw string, demo bool) (clusters []Cluster, def string, err error) {
	return parseClusters(raw, demo, os.Getenv)
}

// parseClusters is ParseClusters reading token_secret_env through getenv.
func parseClusters(raw string, demo bool, getenv func(string) string) (clusters []Cluster, def string, err error) {
	var doc clustersJSON
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields() // a misspelt "tier" must not silently become full
	if err := dec.Decode(&doc); err != nil || dec.More() {
		msg := "not valid JSON"
		if err != nil && strings.Contains(err.Error(), "unknown field") {
			msg = strings.TrimPrefix(err.Error(), "json: ")
		}
		return nil, "", fmt.Errorf("%s (expected {\"default\": \"lab\", \"clusters\": [{\"name\": \"lab\", \"url\": \"https://pve.example.com:8006\", \"token_id\": \"user@realm!name\", \"token_secret\": \"...\"}]})", msg)
	}
	if len(doc.Clusters) == 0 {
		return nil, "", errors.New(`lists no cluster (expected "clusters": [{"name": ..., "url": ..., ...}])`)
	}
	var errs []error
	seen := map[string]bool{}
	for i, cj := range doc.Clusters {
		label := fmt.Sprintf("cluster #%d", i+1)
		if clusterNameRE.MatchString(cj.Name) {
			label = "cluster " + cj.Name
		} else {
			errs = append(errs, fmt.Errorf("%s: name must be 1-32 lower-case letters, digits, '-' or '_', starting with a letter or digit", label))
		}
		if seen[cj.Name] {
			errs = append(errs, fmt.Errorf("%s is listed twice", label))
		}
		seen[cj.Name] = true
		c, cerrs := cj.cluster(label, demo, getenv)
		errs = append(errs, cerrs...)
		clusters = append(clusters, c)
	}
	def = strings.TrimSpace(doc.Default)
	if def != "" && !seen[def] {
		errs = append(errs, fmt.Errorf("default %q is not one of the clusters listed", def))
	}
	if len(clusters) == 1 && def == "" {
		def = clusters[0].Name // one cluster: it is the default, no parameter needed
	}
	return clusters, def, errors.Join(errs...)
}

func (cj clusterJSON) cluster(label string, demo bool, getenv func(string) string) (Cluster, []error) {
	var errs []error
	c := Cluster{Name: cj.Name, SecretARN: strings.TrimSpace(cj.SecretARN)}
	c.PVE.BaseURL = strings.TrimSpace(cj.URL)
	c.PVE.TokenID, c.PVE.TokenSecret = strings.TrimSpace(cj.TokenID), strings.TrimSpace(cj.TokenSecret)
	if secret, err := secretFromEnv(label, c.PVE.TokenSecret, cj.TokenSecretEnv, getenv); err != nil {
		errs = append(errs, err)
	} else {
		c.PVE.TokenSecret = secret
	}
	switch err := tokenSourceErr(label, c.SecretARN, c.PVE.TokenID, c.PVE.TokenSecret); {
	case err != nil:
		errs = append(errs, err)
	case c.SecretARN == "" && !demo && (c.PVE.TokenID == "" || c.PVE.TokenSecret == ""):
		errs = append(errs, fmt.Errorf("%s: token_id and token_secret (or secret_arn) are required", label))
	}
	if c.PVE.BaseURL == "" && !demo {
		errs = append(errs, fmt.Errorf("%s: url is required, e.g. https://pve.example.com:8006", label))
	}
	tier := cmp.Or(strings.TrimSpace(cj.Tier), "full")
	var err error
	if c.Ceiling, err = tools.ParseTier(tier); err != nil {
		errs = append(errs, fmt.Errorf("%s: tier: %w", label, err))
	}
	c.PVE.TLS.Insecure = cj.VerifySSL != nil && !*cj.VerifySSL
	c.PVE.TLS.CAFile = strings.TrimSpace(cj.CACert)
	if fp := strings.TrimSpace(cj.Fingerprint); fp != "" {
		if _, err := pve.ParseFingerprint(fp); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
		}
		c.PVE.TLS.Fingerprint = fp
	}
	if c.PVE.TLS.Insecure && (c.PVE.TLS.CAFile != "" || c.PVE.TLS.Fingerprint != "") {
		errs = append(errs, fmt.Errorf("%s: verify_ssl false contradicts ca_cert/fingerprint: drop verify_ssl to verify with them", label))
	}
	if c.PVE.TLS.CAFile != "" && c.PVE.TLS.Fingerprint != "" {
		errs = append(errs, fmt.Errorf("%s: set either ca_cert or fingerprint, not both", label))
	}
	switch {
	case cj.Timeout == 0:
	case cj.Timeout < 1 || cj.Timeout > 900:
		errs = append(errs, fmt.Errorf("%s: timeout must be 1 to 900 seconds", label))
	default:
		c.PVE.Timeout = time.Duration(cj.Timeout) * time.Second
	}
	switch cj.UnmappedCallers {
	case "", "refuse":
		c.SharedToken = len(cj.Callers) == 0
	case "cluster_token":
		c.SharedToken = true
	default:
		errs = append(errs, fmt.Errorf("%s: unmapped_callers must be \"refuse\" or \"cluster_token\"", label))
	}
	if len(cj.Callers) > 0 {
		c.Callers = map[string]CallerToken{}
	}
	for name, ct := range cj.Callers {
		who := fmt.Sprintf("%s: caller %q", label, name)
		if strings.TrimSpace(name) == "" || len(name) > 256 {
			errs = append(errs, fmt.Errorf("%s: a caller name is empty or longer than 256 characters", label))
			continue
		}
		if !callerNameRE.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: name callers as the audit log does: token:NAME (a bearer token), oauth:SUBJECT, anonymous or stdio", who))
			continue
		}
		t := CallerToken{TokenID: strings.TrimSpace(ct.TokenID), TokenSecret: strings.TrimSpace(ct.TokenSecret), SecretARN: strings.TrimSpace(ct.SecretARN)}
		secret, err := secretFromEnv(who, t.TokenSecret, ct.TokenSecretEnv, getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		t.TokenSecret = secret
		switch err := tokenSourceErr(who, t.SecretARN, t.TokenID, t.TokenSecret); {
		case err != nil:
			errs = append(errs, err)
		case t.SecretARN == "" && (!tokenIDPattern.MatchString(t.TokenID) || t.TokenSecret == ""):
			errs = append(errs, fmt.Errorf("%s: needs secret_arn, or token_id (user@realm!name) and token_secret", who))
		}
		c.Callers[name] = t
	}
	if !demo && c.PVE.BaseURL != "" && c.PVE.TokenID != "" && c.PVE.TokenSecret != "" {
		check := c.PVE
		check.TLS.Fingerprint = ""
		if _, err := pve.New(check); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
		}
	}
	return c, errs
}

// callerNameRE is a caller id as the handler names callers (and the audit
// log shows them), so a mapping cannot name a caller that never comes.
var callerNameRE = regexp.MustCompile(`^(token:[A-Za-z0-9._-]{1,64}|oauth:\S+|anonymous|stdio)$`)

var tokenIDPattern = regexp.MustCompile(`^[^\s@!]+@[^\s@!]+![A-Za-z][A-Za-z0-9._-]*$`)

// clustersFromEnv reads PVE_CLUSTERS or PVE_CLUSTERS_FILE into c. The
// secret (PVE_CLUSTERS_SECRET_ARN) is only noted: the runner reads it.
func clustersFromEnv(getenv func(string) string, demo bool, c *Config) []error {
	inline := strings.TrimSpace(getenv("PVE_CLUSTERS"))
	file := strings.TrimSpace(getenv("PVE_CLUSTERS_FILE"))
	c.ClustersSecretARN = strings.TrimSpace(getenv("PVE_CLUSTERS_SECRET_ARN"))
	set := 0
	for _, v := range []string{inline, file, c.ClustersSecretARN} {
		if v != "" {
			set++
		}
	}
	if set == 0 {
		return nil
	}
	if set > 1 {
		return []error{errors.New("set only one of PVE_CLUSTERS, PVE_CLUSTERS_FILE and PVE_CLUSTERS_SECRET_ARN")}
	}
	var errs []error
	for _, name := range []string{"PVE_BASE_URL", "PVE_TOKEN_ID", "PVE_TOKEN_SECRET", "PVE_SECRET_ARN", "PVE_CA_CERT", "PVE_TLS_FINGERPRINT", "PVE_VERIFY_SSL"} {
		if strings.TrimSpace(getenv(name)) != "" {
			errs = append(errs, fmt.Errorf("%s is set together with the cluster list: set the cluster's address, token and TLS settings in the list instead", name))
		}
	}
	if c.ClustersSecretARN != "" {
		if !secretARNPattern.MatchString(c.ClustersSecretARN) {
			errs = append(errs, errors.New("PVE_CLUSTERS_SECRET_ARN must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX)"))
		}
		return errs
	}
	name := "PVE_CLUSTERS"
	if file != "" {
		name = "PVE_CLUSTERS_FILE"
		b, err := os.ReadFile(file)
		if err != nil {
			return append(errs, fmt.Errorf("PVE_CLUSTERS_FILE: %w", err))
		}
		inline = string(bytes.TrimSpace(b))
	}
	clusters, def, err := parseClusters(inline, demo, getenv)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	c.Clusters, c.DefaultCluster = clusters, def
	return errs
}

// UseClusters sets the cluster list read from PVE_CLUSTERS_SECRET_ARN and
// checks the bearer tokens against it.
func (c *Config) UseClusters(raw string) error {
	clusters, def, err := ParseClusters(raw, false)
	if err != nil {
		return fmt.Errorf("the secret PVE_CLUSTERS_SECRET_ARN names %w", err)
	}
	c.Clusters, c.DefaultCluster = clusters, def
	return CheckTokenClusters(c.Auth.Tokens, c.Clusters)
}

// ClusterNames lists the configured clusters' names, in order.
func (c Config) ClusterNames() []string {
	var out []string
	for _, cl := range c.Clusters {
		out = append(out, cl.Name)
	}
	return out
}

// CheckTokenClusters checks that every cluster a bearer token names is
// configured.
func CheckTokenClusters(tokens []BearerToken, clusters []Cluster) error {
	known := map[string]bool{}
	for _, c := range clusters {
		known[c.Name] = true
	}
	var errs []error
	for _, t := range tokens {
		for _, n := range t.Clusters {
			if !known[n] {
				if len(clusters) == 0 {
					errs = append(errs, fmt.Errorf("token %s names cluster %q, but no cluster list (PVE_CLUSTERS) is configured", t.Name, n))
				} else {
					errs = append(errs, fmt.Errorf("token %s names cluster %q, which is not in PVE_CLUSTERS", t.Name, n))
				}
			}
		}
	}
	return errors.Join(errs...)
}
