package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBatch is the most messages one JSON-RPC batch may hold (batches exist
// only up to protocol 2025-03-26). Each item can be a tool call that fans
// out to Proxmox; a client never needs more than a handful at once.
const MaxBatch = 10

// JSON-RPC error codes used for bodies refused before the MCP layer.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
)

// frameError is a request body refused before any message in it runs.
type frameError struct {
	code int
	msg  string
}

func (e *frameError) Error() string { return e.msg }

// checkFrame refuses what one JSON parser reads differently from another,
// before the go-sdk (and, for arguments, encoding/json) decodes the body:
//
//   - a duplicate key in any object, compared as encoding/json matches
//     struct fields (case-insensitively): `"method":"tools/list",
//     "method":"tools/call"` must not run whichever one a decoder keeps;
//   - anything but white space after the JSON value;
//   - a batch of more than MaxBatch messages, refused as a whole, before
//     reading past the item that exceeds it.
//
// The body has passed the size and nesting limits already.
func checkFrame(body []byte) *frameError {
	type frame struct {
		object  bool
		wantKey bool
		keys    map[string]bool
		items   int
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*frame
	// ended is called when a value ends; it counts batch items.
	ended := func() *frameError {
		if len(stack) == 0 {
			return nil
		}
		top := stack[len(stack)-1]
		if top.object {
			top.wantKey = true
			return nil
		}
		top.items++
		if len(stack) == 1 && top.items > MaxBatch {
			return &frameError{rpcInvalidRequest, fmt.Sprintf("JSON-RPC batch of more than %d messages: send at most %d per request", MaxBatch, MaxBatch)}
		}
		return nil
	}
	started := false
	for {
		if started && len(stack) == 0 {
			break // one whole value read
		}
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && !started {
				return &frameError{rpcParseError, "empty request body: send one JSON-RPC message"}
			}
			return &frameError{rpcParseError, "request body is not valid JSON: " + syntaxMessage(err)}
		}
		started = true
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			top := stack[n-1]
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				if fe := ended(); fe != nil {
					return fe
				}
				continue
			}
			key, _ := tok.(string)
			fold := strings.ToUpper(strings.ToLower(key))
			if top.keys[fold] {
				return &frameError{rpcInvalidRequest, fmt.Sprintf("duplicate key %q in a JSON object of the request: send each member once", truncate(key, 64))}
			}
			top.keys[fold] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantKey: true, keys: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if fe := ended(); fe != nil {
			return fe
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &frameError{rpcParseError, "request body has data after its JSON value: send exactly one JSON-RPC message or one batch"}
	}
	return nil
}

func syntaxMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "it ends early"
	}
	return err.Error()
}

// isJSON reports whether a request declares a JSON body (others are the
// go-sdk's to refuse, with 415).
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// writeRPCError answers a refused body with a JSON-RPC error (id null: the
// request was not read far enough to trust an id).
func writeRPCError(w http.ResponseWriter, status int, fe *frameError) {
	body, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      nil,
		"error":   map[string]any{"code": fe.code, "message": fe.msg},
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
