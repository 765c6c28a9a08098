package handler

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckFrame(t *testing.T) {
	item := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	batch := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]" }
	for _, c := range []struct {
		name, body string
		code       int // 0: accepted
		inMsg      string
	}{
		{"one message", item, 0, ""},
		{"white space around", " \n" + item + "\r\n\t", 0, ""},
		{"batch at the cap", batch(MaxBatch), 0, ""},
		{"nested arrays do not count", `{"a":[` + strings.Repeat("1,", 50) + `1]}`, 0, ""},
		{"same key in two objects", `{"a":{"k":1},"b":{"k":2}}`, 0, ""},
		{"escaped keys that differ", `{"a\u0062":1,"ab2":2}`, 0, ""},
		{"batch over the cap", batch(MaxBatch + 1), rpcInvalidRequest, "at most 10"},
		{"2,000-item batch", batch(2000), rpcInvalidRequest, "batch"},
		{"duplicate method", `{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}`, rpcInvalidRequest, `duplicate key "method"`},
		{"duplicate by case", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"vmid":1,"VMID":2}}}`, rpcInvalidRequest, `"VMID"`},
		{"duplicate through an escape", `{"id":1,"\u0069d":2}`, rpcInvalidRequest, "duplicate"},
		{"duplicate by Kelvin sign", `{"k":1,"\u212a":2}`, rpcInvalidRequest, "duplicate"},
		{"duplicate deep in arguments", `{"params":{"arguments":{"a":[{"x":1,"x":2}]}}}`, rpcInvalidRequest, "duplicate"},
		{"duplicate in a batch item", "[" + item + `,{"id":2,"id":3}]`, rpcInvalidRequest, "duplicate"},
		{"trailing object", item + item, rpcParseError, "after its JSON value"},
		{"trailing garbage", item + "x", rpcParseError, "after its JSON value"},
		{"trailing bracket", item + "]", rpcParseError, "after its JSON value"},
		{"truncated", item[:20], rpcParseError, "not valid JSON"},
		{"not JSON", "DELETE /nodes", rpcParseError, "not valid JSON"},
		{"only white space", "  ", rpcParseError, "empty"},
	} {
		fe := checkFrame([]byte(c.body))
		switch {
		case c.code == 0 && fe != nil:
			t.Errorf("%s: refused: %v", c.name, fe)
		case c.code != 0 && fe == nil:
			t.Errorf("%s: accepted", c.name)
		case c.code != 0 && (fe.code != c.code || !strings.Contains(fe.msg, c.inMsg)):
			t.Errorf("%s: %d %q, want %d containing %q", c.name, fe.code, fe.msg, c.code, c.inMsg)
		}
	}
}

// Over HTTP the refusals are JSON-RPC errors, under every protocol version
// that allows batches, and nothing reaches Proxmox.
func TestFramingOverHTTP(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	del := rpcBody(1, "tools/call", map[string]any{"name": "pve_delete_qemu_vm", "arguments": map[string]any{"vmid": 102}})
	list := rpcBody(1, "tools/list", nil)
	big := "[" + strings.TrimSuffix(strings.Repeat(rpcBody(1, "tools/call", map[string]any{"name": "pve_list_nodes"})+",", 2000), ",") + "]"
	for _, c := range []struct{ name, body, version, inMsg string }{
		{"2,000-item batch", big, "2025-03-26", "batch of more than 10"},
		{"2,000-item batch, no version", big, "", "batch of more than 10"},
		{"duplicate method runs neither", strings.Replace(list, `"method":"tools/list"`, `"method":"tools/list","method":"tools/call"`, 1), "", "duplicate key"},
		{"trailing call", list + del, "2025-06-18", "after its JSON value"},
	} {
		e.wire.reset()
		headers := []string{}
		if c.version != "" {
			headers = append(headers, "Mcp-Protocol-Version", c.version)
		}
		resp, body := e.raw(tokAdmin, c.body, headers...)
		var msg struct {
			JSONRPC string `json:"jsonrpc"`
			ID      any    `json:"id"`
			Error   struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if resp.StatusCode != 400 || json.Unmarshal([]byte(body), &msg) != nil || msg.JSONRPC != "2.0" || msg.Error.Code == 0 || !strings.Contains(msg.Error.Message, c.inMsg) {
			t.Errorf("%s: HTTP %d %.300s", c.name, resp.StatusCode, body)
		}
		if w := e.wire.all(); len(w) != 0 {
			t.Errorf("%s reached Proxmox: %v", c.name, w)
		}
	}
	// A batch within the cap still works.
	items := make([]string, MaxBatch)
	for i := range items {
		items[i] = rpcBody(i+1, "tools/list", nil)
	}
	resp, body := e.raw(tokReader, "["+strings.Join(items, ",")+"]", "Mcp-Protocol-Version", "2025-03-26")
	if resp.StatusCode != 200 || strings.Count(body, `"pve_list_nodes"`) != MaxBatch {
		t.Errorf("batch of %d: HTTP %d %.200s", MaxBatch, resp.StatusCode, body)
	}
}

// FuzzFrame: checkFrame never panics, and what it accepts is one valid JSON
// value without duplicate keys, a batch of at most MaxBatch.
//
//	go test ./handler -run '^$' -fuzz FuzzFrame -fuzztime 30s
func FuzzFrame(f *testing.F) {
	item := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	for _, s := range []string{
		item, "[" + item + "," + item + "]", item + item, item + " x",
		`{"method":"tools/list","method":"tools/call"}`, `{"a":1,"A":2}`, `{"\u0061":1,"a":2}`,
		"[" + strings.Repeat(item+",", 11) + item + "]", `[[1,2],[3]]`, `"x"`, `1 2`, "{", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if jsonDepth(body) > MaxJSONDepth {
			return // refused before checkFrame
		}
		fe := checkFrame(body)
		if fe != nil {
			if fe.code != rpcParseError && fe.code != rpcInvalidRequest || fe.msg == "" {
				t.Fatalf("bad error %+v", fe)
			}
			// What it refuses is invalid, duplicated or an oversized batch.
			if json.Valid(body) && !hasDuplicate(body) {
				var v any
				if json.Unmarshal(body, &v) != nil {
					return // valid JSON no decoder reads (a number out of range)
				}
				if a, ok := v.([]any); !ok || len(a) <= MaxBatch {
					t.Fatalf("refused valid %q: %v", body, fe)
				}
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("accepted %q: %v", body, err)
		}
		if a, ok := v.([]any); ok && len(a) > MaxBatch {
			t.Fatalf("accepted a batch of %d", len(a))
		}
		if hasDuplicate(body) {
			t.Fatalf("accepted duplicate keys: %q", body)
		}
	})
}

// hasDuplicate decodes every object of b as a list of members to find a
// repeated key, the slow way (the fuzz oracle).
func hasDuplicate(b []byte) bool {
	var walk func(json.RawMessage) bool
	walk = func(raw json.RawMessage) bool {
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil {
			for _, x := range arr {
				if walk(x) {
					return true
				}
			}
			return false
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return false
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, _ := dec.Token()
			k := strings.ToUpper(strings.ToLower(tok.(string)))
			if seen[k] {
				return true
			}
			seen[k] = true
			var val json.RawMessage
			if dec.Decode(&val) != nil || walk(val) {
				return true
			}
		}
		return false
	}
	return walk(b)
}

// BenchmarkCheckFrame: the framing check of a 1 MiB body, the largest
// accepted (500,000 numbers in one argument).
//
//	go test -run '^$' -bench CheckFrame ./handler
func BenchmarkCheckFrame(b *testing.B) {
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":[` + strings.TrimSuffix(strings.Repeat("1,", 500000), ",") + `]}}}`)
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if fe := checkFrame(body); fe != nil {
			b.Fatal(fe)
		}
	}
}
