package config

import (
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/tools"
)

func TestConfirmFromEnv(t *testing.T) {
	key := strings.Repeat("k", tools.MinConfirmKeyBytes)
	arn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:confirm-key-AbCdEf"
	cases := []struct {
		env     map[string]string
		policy  tools.ConfirmPolicy
		key     string
		arn     string
		errWant string
	}{
		{env: map[string]string{}, policy: tools.ConfirmDestructive}, // the production default
		{env: map[string]string{"PVE_CONFIRM": "writes", "PVE_CONFIRM_KEY": key}, policy: tools.ConfirmWrites, key: key},
		{env: map[string]string{"PVE_CONFIRM": "off"}, policy: tools.ConfirmOff},
		{env: map[string]string{"PVE_CONFIRM_KEY_SECRET_ARN": arn}, arn: arn},
		{env: map[string]string{"PVE_CONFIRM": "ask"}, errWant: "PVE_CONFIRM"},
		{env: map[string]string{"PVE_CONFIRM_KEY": key[1:]}, errWant: "at least 32"},
		{env: map[string]string{"PVE_CONFIRM_KEY_SECRET_ARN": "confirm-key"}, errWant: "PVE_CONFIRM_KEY_SECRET_ARN"},
	}
	for _, c := range cases {
		cfg, err := FromEnv(func(k string) string { return c.env[k] }, true)
		if c.errWant != "" {
			if err == nil || !strings.Contains(err.Error(), c.errWant) {
				t.Errorf("%v: error %v, want %q", c.env, err, c.errWant)
			}
			if err != nil && c.env["PVE_CONFIRM_KEY"] != "" && strings.Contains(err.Error(), c.env["PVE_CONFIRM_KEY"]) {
				t.Errorf("the error quotes the key: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.env, err)
			continue
		}
		if cfg.Confirm.Policy != c.policy || string(cfg.Confirm.Key) != c.key || cfg.ConfirmKeySecretARN != c.arn {
			t.Errorf("%v: %v %q %q", c.env, cfg.Confirm.Policy, cfg.Confirm.Key, cfg.ConfirmKeySecretARN)
		}
	}
}
