package secrets_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/secrets/secretstest"
)

const tokenJSON = `{"token_id":"mcp@pve!lambda","token_secret":"11111111-2222-3333-4444-555555555555"}`

// The real SDK client against the local Secrets Manager: found, binary,
// not found, access denied, empty.
func TestFetchThroughSDK(t *testing.T) {
	sm := secretstest.New(t)
	client := sm.Client(t)
	found, binary, missing, denied, empty := secretstest.ARN("found"), secretstest.ARN("bin"), secretstest.ARN("missing"), secretstest.ARN("denied"), secretstest.ARN("empty")
	sm.Put(found, tokenJSON)
	sm.PutBinary(binary, []byte(tokenJSON))
	sm.Deny(denied)
	sm.Put(empty, "")

	tests := []struct {
		arn     string
		want    string
		wantErr error
		errHas  string
	}{
		{arn: found, want: tokenJSON},
		{arn: binary, want: tokenJSON},
		{arn: missing, wantErr: secrets.ErrNotFound, errHas: "can't find the specified secret"},
		{arn: denied, wantErr: secrets.ErrAccessDenied, errHas: "secretsmanager:GetSecretValue"},
		{arn: empty, wantErr: secrets.ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.arn[strings.LastIndex(tt.arn, ":")+1:], func(t *testing.T) {
			got, err := secrets.Fetch(context.Background(), client, tt.arn)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.arn) || !strings.Contains(err.Error(), tt.errHas) {
					t.Errorf("error %q should name the secret and say %q", err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Fetch = %q, %v; want %q", got, err, tt.want)
			}
			if n := sm.Calls(tt.arn); n != 1 {
				t.Errorf("GetSecretValue calls = %d, want 1", n)
			}
		})
	}
	if _, err := secrets.Fetch(context.Background(), client, ""); err == nil {
		t.Error("empty ARN must fail before calling AWS")
	}
}

func TestCacheFetchesOncePerProcess(t *testing.T) {
	sm := secretstest.New(t)
	arn := secretstest.ARN("cached")
	sm.Put(arn, "v1")
	c := secrets.NewCache(sm.Client(t))
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.Get(ctx, arn); err != nil || v != "v1" {
				t.Errorf("Get = %q, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if n := sm.Calls(arn); n != 1 {
		t.Fatalf("8 concurrent Gets made %d calls, want 1", n)
	}

	// Rotation: the cache keeps v1 until told it is stale.
	sm.Put(arn, "v2")
	if v, _ := c.Get(ctx, arn); v != "v1" {
		t.Fatalf("Get after rotation = %q, want cached v1", v)
	}
	for range 3 { // a burst of callers that all saw v1 rejected: one fetch
		if v, err := c.Refresh(ctx, arn, "v1"); err != nil || v != "v2" {
			t.Fatalf("Refresh = %q, %v; want v2", v, err)
		}
	}
	if n := sm.Calls(arn); n != 2 {
		t.Fatalf("calls after refresh burst = %d, want 2", n)
	}

	// A failing refresh keeps the last good value.
	sm.Deny(arn)
	if _, err := c.Refresh(ctx, arn, "v2"); !errors.Is(err, secrets.ErrAccessDenied) {
		t.Fatalf("Refresh on denied secret: %v", err)
	}
	if v, _ := c.Get(ctx, arn); v != "v2" {
		t.Fatalf("Get after failed refresh = %q, want v2", v)
	}

	// Errors are not cached: a secret created later is found.
	late := secretstest.ARN("late")
	if _, err := c.Get(ctx, late); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
	sm.Put(late, "now")
	if v, err := c.Get(ctx, late); err != nil || v != "now" {
		t.Fatalf("Get after creation = %q, %v", v, err)
	}
}

func TestParsePVEToken(t *testing.T) {
	const uuid = "0f3b6a0e-5d2c-4c55-9d36-2a8f6b1c9e11"
	tests := []struct {
		name, in string
		want     secrets.PVEToken
		errHas   string
	}{
		{name: "ok", in: `{"token_id":"mcp@pve!lambda","token_secret":"` + uuid + `"}`, want: secrets.PVEToken{TokenID: "mcp@pve!lambda", TokenSecret: uuid}},
		{name: "extra keys and blanks", in: ` {"token_id":" mcp@pve!lambda ","token_secret":"` + uuid + `","rotated":"2025-01-01"} `, want: secrets.PVEToken{TokenID: "mcp@pve!lambda", TokenSecret: uuid}},
		{name: "plain uuid", in: uuid, errHas: "is not a JSON object"},
		{name: "truncated", in: `{"token_id":"mcp@pve!lambda","token_secret":"` + uuid, errHas: "is not a JSON object"},
		{name: "two objects", in: `{"token_id":"a@pve!x","token_secret":"s3cr3t"}{}`, errHas: "is not a JSON object"},
		{name: "array", in: `["x"]`, errHas: "is not a JSON object"},
		{name: "wrong type", in: `{"token_id":"a@pve!x","token_secret":12345}`, errHas: "is not a JSON object"},
		{name: "missing secret", in: `{"token_id":"mcp@pve!lambda"}`, errHas: "lacks token_secret"},
		{name: "missing both", in: `{"tokenId":"mcp@pve!lambda","secret":"x"}`, errHas: "lacks token_id and token_secret"},
		{name: "bad token id", in: `{"token_id":"mcp!lambda","token_secret":"` + uuid + `"}`, errHas: "user@realm!tokenname"},
		{name: "no token name", in: `{"token_id":"mcp@pve!","token_secret":"` + uuid + `"}`, errHas: "user@realm!tokenname"},
		{name: "full header pasted", in: `{"token_id":"mcp@pve!lambda","token_secret":"mcp@pve!lambda=` + uuid + `"}`, errHas: "blanks or '='"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secrets.ParsePVEToken(tt.in)
			if tt.errHas == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want it to say %q", err, tt.errHas)
			}
			if strings.Contains(err.Error(), uuid) || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "12345") {
				t.Fatalf("error quotes the secret: %v", err)
			}
		})
	}
}

func TestPVETokenSourceRotation(t *testing.T) {
	sm := secretstest.New(t)
	arn := secretstest.ARN("pve")
	sm.Put(arn, `{"token_id":"mcp@pve!lambda","token_secret":"aaaaaaaa-0000-0000-0000-000000000000"}`)
	src := secrets.PVETokenSource{Cache: secrets.NewCache(sm.Client(t)), ARN: arn}
	ctx := context.Background()
	tok, err := src.Token(ctx)
	if err != nil || tok.TokenSecret != "aaaaaaaa-0000-0000-0000-000000000000" {
		t.Fatalf("Token = %+v, %v", tok, err)
	}
	sm.Put(arn, `{"token_id":"mcp@pve!lambda","token_secret":"bbbbbbbb-0000-0000-0000-000000000000"}`)
	tok, err = src.Refresh(ctx, "aaaaaaaa-0000-0000-0000-000000000000")
	if err != nil || tok.TokenSecret != "bbbbbbbb-0000-0000-0000-000000000000" {
		t.Fatalf("Refresh = %+v, %v", tok, err)
	}
	// A second caller that also saw the old secret rejected gets the new one without a fetch.
	if tok, _ = src.Refresh(ctx, "aaaaaaaa-0000-0000-0000-000000000000"); tok.TokenSecret != "bbbbbbbb-0000-0000-0000-000000000000" || sm.Calls(arn) != 2 {
		t.Fatalf("second Refresh = %+v with %d calls, want B with 2", tok, sm.Calls(arn))
	}
	// Rotated to something malformed: the error names the secret, not its value.
	sm.Put(arn, `not json bbbbbbbb`)
	_, err = src.Refresh(ctx, "bbbbbbbb-0000-0000-0000-000000000000")
	if err == nil || !strings.Contains(err.Error(), arn) || strings.Contains(err.Error(), "bbbbbbbb") {
		t.Fatalf("malformed rotation error = %v", err)
	}
}
