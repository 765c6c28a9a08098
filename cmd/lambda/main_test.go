package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func demoEnv(extra map[string]string) func(string) string {
	m := map[string]string{"PVE_DEMO": "true"}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

type urlResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// invoke sends a sample event from events/ as the Lambda runtime would:
// JSON in, JSON out, with an invocation deadline.
func invoke(t *testing.T, h lambda.Handler, file string) (urlResponse, map[string]any) {
	t.Helper()
	payload, err := os.ReadFile(filepath.Join("..", "..", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var resp urlResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s: %v: %s", file, err, out)
	}
	if resp.StatusCode != 200 || resp.IsBase64Encoded {
		t.Fatalf("%s: %s", file, out)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("%s: body is not JSON: %s", file, resp.Body)
	}
	return resp, body
}

// The sample events (the ones `sam local invoke -e` and the runtime
// emulator test send) through the bootstrap's handler in demo mode.
func TestSampleEvents(t *testing.T) {
	// The variables `sam local invoke --env-vars events/env-demo.json` sets.
	raw, err := os.ReadFile("../../events/env-demo.json")
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]map[string]string
	if err := json.Unmarshal(raw, &vars); err != nil || vars["PveMcpFunction"]["PVE_DEMO"] != "true" {
		t.Fatalf("env-demo.json: %v %v", err, vars)
	}
	samEnv := vars["PveMcpFunction"]
	// template.yaml's default FunctionUrlAuthType, which sam local sets too:
	// the samples carry the IAM caller of a signed request.
	samEnv["FUNCTION_URL_AUTH_TYPE"] = "AWS_IAM"
	fn, cleanup, err := setup(func(k string) string { return samEnv[k] })
	defer cleanup()
	if err != nil {
		t.Fatal(err)
	}
	h := lambda.NewHandler(fn)

	if _, body := invoke(t, h, "healthz.json"); body["status"] != "ok" {
		t.Fatalf("healthz: %v", body)
	}
	resp, body := invoke(t, h, "initialize.json")
	if !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") {
		t.Errorf("initialize content type %q", resp.Headers["Content-Type"])
	}
	result, _ := body["result"].(map[string]any)
	if result["protocolVersion"] != "2025-06-18" || result["serverInfo"] == nil {
		t.Fatalf("initialize: %v", body)
	}

	_, body = invoke(t, h, "tools-list.json")
	tools, _ := body["result"].(map[string]any)["tools"].([]any)
	names := map[string]bool{}
	for _, tl := range tools {
		names[tl.(map[string]any)["name"].(string)] = true
	}
	// A full-tier deployment lists the compact surface by default (PVE_TOOL_MODE=auto).
	if len(tools) > 16 || !names["pve_search_tools"] || !names["pve_read"] || !names["pve_find_guests"] {
		t.Fatalf("tools/list: %d tools %v", len(tools), names)
	}

	_, body = invoke(t, h, "tools-call.json")
	result, _ = body["result"].(map[string]any)
	text, _ := json.Marshal(result["content"])
	if result["isError"] == true || !strings.Contains(string(text), "uptime") {
		t.Fatalf("tools/call: %v", body)
	}

	// The same call without the IAM caller (an AuthType NONE event, or a
	// direct invoke) is refused: the variable alone is not trusted.
	var ev map[string]any
	raw, _ = os.ReadFile(filepath.Join("..", "..", "events", "tools-call.json"))
	json.Unmarshal(raw, &ev)
	delete(ev["requestContext"].(map[string]any), "authorizer")
	payload, _ := json.Marshal(ev)
	out, err := h.Invoke(context.Background(), payload)
	var resp403 urlResponse
	if err != nil || json.Unmarshal(out, &resp403) != nil || resp403.StatusCode != 403 || !strings.Contains(resp403.Body, "AWS_IAM") {
		t.Fatalf("unsigned event under AWS_IAM: %v %s", err, out)
	}
}

// The tier comes from the environment the template sets per stage.
func TestTierFromEnvironment(t *testing.T) {
	fn, cleanup, err := setup(demoEnv(map[string]string{"PVE_ACCESS_TIER": "read-only"}))
	defer cleanup()
	if err != nil {
		t.Fatal(err)
	}
	_, body := invoke(t, lambda.NewHandler(fn), "tools-list.json")
	for _, tl := range body["result"].(map[string]any)["tools"].([]any) {
		ann, _ := tl.(map[string]any)["annotations"].(map[string]any)
		if ann["readOnlyHint"] != true {
			t.Fatalf("read-only deployment lists %v", tl.(map[string]any)["name"])
		}
	}
}

func TestSetupFailures(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"bad PVE_DEMO":   {"PVE_DEMO": "maybe"},
		"nothing set":    {},
		"bad tier":       {"PVE_DEMO": "true", "PVE_ACCESS_TIER": "root"},
		"bad secret ARN": {"PVE_BASE_URL": "https://pve:8006", "PVE_SECRET_ARN": "my-secret"},
	} {
		t.Run(name, func(t *testing.T) {
			_, cleanup, err := setup(func(k string) string { return env[k] })
			cleanup()
			if err == nil {
				t.Fatal("setup must fail")
			}
		})
	}
}
