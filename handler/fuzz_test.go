package handler

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// FuzzHandler throws arbitrary bodies, content types, protocol versions and
// credentials at /mcp. Whatever arrives: no panic, no 5xx, no credential in
// the answer; without a valid token nothing reaches Proxmox; with the
// read-only token nothing but reads reaches it.
//
//	go test ./handler -run '^$' -fuzz FuzzHandler -fuzztime 30s
func FuzzHandler(f *testing.F) {
	e, err := tryNewSecEnv(f, map[string]string{"MCP_AUTH_TOKENS": allTokens, "MCP_ALLOWED_ORIGINS": "https://app.example.com"})
	if err != nil {
		f.Fatal(err)
	}
	call := func(name, args string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `}}`
	}
	for _, body := range []string{
		rpcBody(1, "tools/list", map[string]any{}),
		rpcBody(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "f", "version": "1"}}),
		call("pve_get_qemu_status", `{"vmid":100}`),
		call("pve_delete_qemu_vm", `{"vmid":102}`),
		call("pve_get_node_status", `{"node":"../access"}`),
		call("pve_list_storage_content", `{"node":"pve1","storage":"local%2F..","content":"iso"}`),
		"[" + call("pve_stop_qemu_vm", `{"vmid":100}`) + "," + rpcBody(2, "tools/list", nil) + "]",
		`{"jsonrpc":"2.0","id":1e999,"method":"tools/call","params":{"name":"pve_delete_qemu_vm","arguments":{"vmid":-1}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		strings.Repeat("[", 70) + strings.Repeat("]", 70),
		// Parser differentials and batches (checkFrame).
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"pve_delete_qemu_vm","arguments":{"vmid":102}}}`,
		rpcBody(1, "tools/list", nil) + call("pve_delete_qemu_vm", `{"vmid":102}`),
		"[" + strings.TrimSuffix(strings.Repeat(call("pve_list_nodes", `{}`)+",", 12), ",") + "]",
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_get_qemu_status","arguments":{"vmid":100}`,
		"",
	} {
		for auth := uint8(0); auth < 4; auth++ {
			f.Add([]byte(body), "application/json", auth, "2025-06-18")
		}
	}
	f.Add([]byte(call("pve_start_qemu_vm", `{"vmid":102}`)), "application/json; charset=utf-8", uint8(2), "2025-03-26")
	f.Add([]byte("vmid=102"), "application/x-www-form-urlencoded", uint8(1), "")
	f.Add([]byte(rpcBody(1, "tools/list", nil)), "text/event-stream", uint8(1), "1999-01-01")

	secrets := []string{tokAdmin, tokAdminNew, tokOperator, tokReader, tokQemuOnly, simTokenSecret}
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, body []byte, contentType string, auth uint8, version string) {
		mu.Lock()
		defer mu.Unlock()
		e.wire.reset()
		req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", "application/json, text/event-stream")
		if version != "" && !strings.ContainsAny(version, "\r\n\x00") {
			req.Header.Set("Mcp-Protocol-Version", version)
		}
		switch auth % 4 {
		case 1:
			req.Header.Set("Authorization", "Bearer "+tokReader)
		case 2:
			req.Header.Set("Authorization", "Bearer "+tokAdmin)
		case 3:
			req.Header.Set("Authorization", "Bearer "+tokReader[:len(tokReader)-1]+"X")
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		e.h.ServeHTTP(rec, req)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("answer took %v", d)
		}

		if rec.Code >= 500 {
			t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
		answer := rec.Body.String() + fmt.Sprint(rec.Header())
		for _, s := range secrets {
			if strings.Contains(answer, s) {
				t.Fatalf("a credential is in the answer: %s", answer)
			}
		}
		wire := e.wire.all()
		switch auth % 4 {
		case 0, 3:
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("no valid token: HTTP %d", rec.Code)
			}
			if len(wire) != 0 {
				t.Fatalf("unauthenticated request reached Proxmox: %v", wire)
			}
		case 1:
			for _, w := range wire {
				if !strings.HasPrefix(w, "GET ") {
					t.Fatalf("read-only caller caused %s", w)
				}
			}
		}
	})
}
