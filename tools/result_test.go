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
		structured string // the structuredContent; "" for none
	}{
		{"object", Output{Data: json.RawMessage(`{ "a": 1 }`)}, `{"a":1}`, `{"a":1}`},
		{"list wrapped", Output{Data: json.RawMessage(`[1, 2]`)}, `[1,2]`, `{"items":[1,2]}`},
		{"value wrapped", Output{Data: json.RawMessage(`105`)}, `105`, `{"value":105}`},
		{"null is OK", Output{Data: json.RawMessage(`null`)}, "OK", `{}`},
		{"note appended", Output{Data: json.RawMessage(`{"a":1}`), Note: "follow it"}, "{\"a\":1}\nfollow it", `{"a":1}`},
		{"secret redacted", Output{Data: json.RawMessage(`{"echo":"s3cr3t-value"}`)}, `{"echo":"[REDACTED]"}`, `{"echo":"[REDACTED]"}`},
		{"long list cut at an item", Output{Data: bigList}, "TRUNCATED: showing the first", `{"items":[null,null]}`},
		{"long object cut as text", Output{Data: json.RawMessage(bigObj)}, "incomplete JSON", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := env.result(c.out)
			txt := res.Content[0].(*mcp.TextContent).Text
			if !strings.Contains(txt, c.wantText) {
				t.Errorf("text %q lacks %q", txt, c.wantText)
			}
			got := ""
			if res.StructuredContent != nil {
				b, _ := json.Marshal(res.StructuredContent)
				got = string(b)
			}
			if !strings.HasPrefix(got, strings.TrimSuffix(c.structured, "]}")) || (got == "") != (c.structured == "") {
				t.Errorf("structuredContent = %s, want %s", got, c.structured)
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
