package config

import (
	"strings"
	"testing"
)

func TestFromEnvWithSecret(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:pve-mcp/prod/token-AbCdEf"
	tests := []struct {
		name    string
		env     map[string]string
		demo    bool
		wantARN string
		errHas  []string
		errNot  []string
	}{
		{name: "env token, no secret", env: map[string]string{"PVE_BASE_URL": "https://pve:8006", "PVE_TOKEN_ID": "a@pve!b", "PVE_TOKEN_SECRET": "s"}},
		{name: "no secret needs the token", env: map[string]string{"PVE_BASE_URL": "https://pve:8006"}, errHas: []string{"PVE_TOKEN_ID is required", "PVE_TOKEN_SECRET is required"}},
		{name: "secret replaces the token variables", env: map[string]string{"PVE_BASE_URL": "https://pve:8006", "PVE_SECRET_ARN": arn}, wantARN: arn},
		{name: "secret and env token both set", env: map[string]string{"PVE_BASE_URL": "https://pve:8006", "PVE_SECRET_ARN": " " + arn + " ", "PVE_TOKEN_ID": "a@pve!b", "PVE_TOKEN_SECRET": "s"}, wantARN: arn},
		{name: "secret still needs the address", env: map[string]string{"PVE_SECRET_ARN": arn}, wantARN: arn, errHas: []string{"PVE_BASE_URL is required"}, errNot: []string{"PVE_TOKEN"}},
		{name: "secret name is not an ARN", env: map[string]string{"PVE_BASE_URL": "https://pve:8006", "PVE_SECRET_ARN": "pve-token"}, wantARN: "pve-token", errHas: []string{"PVE_SECRET_ARN=\"pve-token\": must be a Secrets Manager secret ARN"}},
		{name: "ARN of another service", env: map[string]string{"PVE_BASE_URL": "https://pve:8006", "PVE_SECRET_ARN": "arn:aws:ssm:eu-central-1:123456789012:parameter/pve"}, wantARN: "arn:aws:ssm:eu-central-1:123456789012:parameter/pve", errHas: []string{"must be a Secrets Manager secret ARN"}},
		{name: "GovCloud partition", env: map[string]string{"PVE_BASE_URL": "https://pve:8006", "PVE_SECRET_ARN": "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:pve-AbCdEf"}, wantARN: "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:pve-AbCdEf"},
		{name: "other settings still checked", env: map[string]string{"PVE_BASE_URL": "https://pve:8006", "PVE_SECRET_ARN": arn, "PVE_ACCESS_TIER": "admin"}, wantARN: arn, errHas: []string{"PVE_ACCESS_TIER"}},
		{name: "demo", env: map[string]string{"PVE_SECRET_ARN": arn}, demo: true, wantARN: arn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, gotARN, err := FromEnvWithSecret(func(k string) string { return tt.env[k] }, tt.demo)
			if gotARN != tt.wantARN {
				t.Errorf("ARN = %q, want %q", gotARN, tt.wantARN)
			}
			if len(tt.errHas) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.PVE.BaseURL != tt.env["PVE_BASE_URL"] || c.PVE.TokenID != tt.env["PVE_TOKEN_ID"] {
					t.Errorf("config not read: %+v", c.PVE)
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			for _, s := range tt.errNot {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q should not mention %q", err, s)
				}
			}
		})
	}
}
