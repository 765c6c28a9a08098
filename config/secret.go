package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// SecretVars documents the variable FromEnvWithSecret reads on top of Vars.
var SecretVars = []Var{
	{"PVE_SECRET_ARN", "", "AWS Secrets Manager secret (ARN) holding the API token as `{\"token_id\": \"user@realm!name\", \"token_secret\": \"<uuid>\"}`; when set it wins over PVE_TOKEN_ID/PVE_TOKEN_SECRET and is read once per cold start, again on a Proxmox 401"},
}

// secretARNPattern is a Secrets Manager secret ARN in any partition:
// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX.
var secretARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`)

// FromEnvWithSecret is FromEnv for runners that can read the Proxmox token
// from AWS Secrets Manager. It returns PVE_SECRET_ARN (empty when unset).
//
// Precedence: when PVE_SECRET_ARN is set, the secret wins: PVE_TOKEN_ID and
// PVE_TOKEN_SECRET are no longer required, and if they are set anyway the
// caller replaces them with the secret's token (only the secret can be
// fetched again when Proxmox rejects a rotated token). PVE_BASE_URL is
// still required. In demo mode the simulator's token is used and the ARN
// is returned but not needed.
func FromEnvWithSecret(getenv func(string) string, demo bool) (Config, string, error) {
	arn := strings.TrimSpace(getenv("PVE_SECRET_ARN"))
	if arn == "" {
		c, err := FromEnv(getenv, demo)
		return c, "", err
	}
	var errs []error
	if !secretARNPattern.MatchString(arn) {
		errs = append(errs, fmt.Errorf("PVE_SECRET_ARN=%q: must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX)", arn))
	}
	// The token comes from the secret: let FromEnv skip only the token
	// requirement (demo=true waives the three required variables) and
	// check the address here.
	c, err := FromEnv(getenv, true)
	if err != nil {
		errs = append(errs, err)
	}
	if !demo && c.PVE.BaseURL == "" {
		errs = append(errs, errors.New("PVE_BASE_URL is required (or run with -demo to try the simulated cluster)"))
	}
	return c, arn, errors.Join(errs...)
}
