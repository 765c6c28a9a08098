package handler

import (
	"context"
	"fmt"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/secrets"
)

// newSecretsAPI returns the Secrets Manager client used for
// MCP_AUTH_SECRET_ARN; tests replace it with a local stand-in.
var newSecretsAPI = func(ctx context.Context) (secrets.API, error) {
	return secrets.NewClient(ctx, "")
}

// loadSecretTokens reads the bearer tokens held in a.SecretARN (same format
// as MCP_AUTH_TOKENS) and adds them to a.Tokens. They are read once, at
// startup (a Lambda cold start, a container start): to rotate, put the new
// token in the secret next to the old one, roll the service, then drop the
// old one.
func loadSecretTokens(ctx context.Context, a *config.Auth) error {
	api, err := newSecretsAPI(ctx)
	if err != nil {
		return fmt.Errorf("MCP_AUTH_SECRET_ARN: %w", err)
	}
	value, err := secrets.Fetch(ctx, api, a.SecretARN)
	if err != nil {
		return fmt.Errorf("MCP_AUTH_SECRET_ARN: %w", err)
	}
	toks, err := config.ParseTokens(value)
	if err != nil {
		return fmt.Errorf("MCP_AUTH_SECRET_ARN: secret %s: %w", a.SecretARN, err)
	}
	seen := map[string]bool{}
	hashes := map[[32]byte]bool{}
	for _, t := range a.Tokens {
		seen[t.Name], hashes[t.Hash] = true, true
	}
	for _, t := range toks {
		if seen[t.Name] {
			return fmt.Errorf("MCP_AUTH_SECRET_ARN: token name %q is also in MCP_AUTH_TOKENS", t.Name)
		}
		if hashes[t.Hash] {
			return fmt.Errorf("MCP_AUTH_SECRET_ARN: token %q is also in MCP_AUTH_TOKENS under another name", t.Name)
		}
		a.Tokens = append(a.Tokens, t)
	}
	return nil
}

// loadConfirmKey reads the confirmation key from PVE_CONFIRM_KEY_SECRET_ARN
// (the secret string is the key) into c.Confirm.Key, once at startup.
func loadConfirmKey(ctx context.Context, c *config.Config) error {
	api, err := newSecretsAPI(ctx)
	if err != nil {
		return fmt.Errorf("PVE_CONFIRM_KEY_SECRET_ARN: %w", err)
	}
	value, err := secrets.Fetch(ctx, api, c.ConfirmKeySecretARN)
	if err != nil {
		return fmt.Errorf("PVE_CONFIRM_KEY_SECRET_ARN: %w", err)
	}
	if err := config.CheckConfirmKey(value); err != nil {
		return fmt.Errorf("PVE_CONFIRM_KEY_SECRET_ARN: secret %s: %w", c.ConfirmKeySecretARN, err)
	}
	c.Confirm.Key = []byte(value)
	return nil
}
