package config

import (
	"fmt"
	"strings"

	"github.com/pve-mcp/pve-mcp/tools"
)

// ConfirmVars are the confirmation variables; they are listed in Vars.
var ConfirmVars = []Var{
	{"PVE_CONFIRM", "destructive", "which tools ask for a yes before acting: `destructive` (destructiveHint tools and `pve_destroy`), `writes` (every tool that is not read-only), `off`; see [Confirmation](#confirmation)"},
	{"PVE_CONFIRM_KEY", "", "secret (32+ bytes) that signs confirmation tokens; set the same value on every instance. Unset: a random key per process, so a token verifies only on the instance that issued it"},
	{"PVE_CONFIRM_KEY_SECRET_ARN", "", "AWS Secrets Manager secret holding PVE_CONFIRM_KEY (the secret string is the key), read at startup; wins over PVE_CONFIRM_KEY"},
}

// confirmFromEnv reads PVE_CONFIRM and PVE_CONFIRM_KEY. The key may also
// come from Secrets Manager (PVE_CONFIRM_KEY_SECRET_ARN, read by the
// handler at startup); without either, tools makes a per-process key and
// Warnings says what that means.
func confirmFromEnv(getenv func(string) string) (tools.Confirmation, string, error) {
	var c tools.Confirmation
	var err error
	if c.Policy, err = tools.ParseConfirmPolicy(getenv("PVE_CONFIRM")); err != nil {
		return c, "", fmt.Errorf("PVE_CONFIRM: %w", err)
	}
	if k := getenv("PVE_CONFIRM_KEY"); k != "" {
		if err := CheckConfirmKey(k); err != nil {
			return c, "", fmt.Errorf("PVE_CONFIRM_KEY: %w", err)
		}
		c.Key = []byte(k)
	}
	arn := strings.TrimSpace(getenv("PVE_CONFIRM_KEY_SECRET_ARN"))
	if arn != "" && !secretARNPattern.MatchString(arn) {
		return c, "", fmt.Errorf("PVE_CONFIRM_KEY_SECRET_ARN=%q: must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX)", arn)
	}
	return c, arn, nil
}

// CheckConfirmKey refuses a confirmation key too short to be a secret.
func CheckConfirmKey(k string) error {
	if len(k) < tools.MinConfirmKeyBytes {
		return fmt.Errorf("is %d bytes; use at least %d random bytes (e.g. openssl rand -base64 48)", len(k), tools.MinConfirmKeyBytes)
	}
	return nil
}
