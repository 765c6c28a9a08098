package tools

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

func TestResultShaping(t *testing.T) {
	client, err := pve.New(pve.Config{BaseURL: "http://127.0.0.1:1", TokenID: "a@pve!t", TokenSecret: "s3cr3t-value"})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{PVE: client, MaxResultBytes: 200}
	bigList, _ := json.Marshal(make([]map[string]int, 50))
	bigObj := `{"a":"` + strings.Repeat("x", 500) + `"}`
	cases := []struct {
		name       string
		out        Output
		wantText   string
		structured bool
	}{
		{"object", Output{Data: json.RawMessage(`{ "a": 1 }`)}, `{"a":1}`, true},
		{"list is not structured", Output{Data: json.RawMessage(`[1, 2]`)}, `[1,2]`, false},
		{"null is OK", Output{Data: json.RawMessage(`null`)}, "OK", false},
		{"note appended", Output{Data: json.RawMessage(`{"a":1}`), Note: "follow it"}, "{\"a\":1}\nfollow it", true},
		{"secret redacted", Output{Data: json.RawMessage(`{"echo":"s3cr3t-value"}`)}, `{"echo":"[REDACTED]"}`, true},
		{"long list cut at an item", Output{Data: bigList}, "TRUNCATED: showing the first", false},
		{"long object cut as text", Output{Data: json.RawMessage(bigObj)}, "incomplete JSON", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := env.result(c.out)
			txt := res.Content[0].(*mcp.TextContent).Text
			if !strings.Contains(txt, c.wantText) {
				t.Errorf("text %q lacks %q", txt, c.wantText)
			}
			if (res.StructuredContent != nil) != c.structured {
				t.Errorf("structuredContent = %v, want present=%v", res.StructuredContent, c.structured)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Errorf("result does not marshal: %v", err)
			}
			if strings.Contains(c.name, "cut") {
				data, _, _ := strings.Cut(txt, "\n")
				if len(data) > 200 {
					t.Errorf("cut result is %d bytes, limit 200", len(data))
				}
			}
		})
	}
}
