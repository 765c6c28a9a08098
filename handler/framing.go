package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
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
	_, fe := scanFrame(body)
	return fe
}

// frameFacts is what checkFrame's walk learns of a body on the way, so that
// the handler's choices need not decode it again (see stream.go).
type frameFacts struct {
	// method is the method of a single message ("" for a batch, or when
	// absent or not a string).
	method string
	// progressToken: the single message's params._meta.progressToken is a
	// string or a number, the two forms a progress token takes.
	progressToken bool
}

// scanFrame is checkFrame, also returning the facts of an accepted body.
// Member names match as the go-sdk decodes them, exactly (escapes decoded):
// a "Method" member is no method to it.
func scanFrame(body []byte) (frameFacts, *frameError) {
	sc := &frameScanner{b: body}
	sc.ws()
	if sc.i == len(sc.b) {
		return frameFacts{}, &frameError{rpcParseError, "empty request body: send one JSON-RPC message"}
	}
	if fe := sc.value(0); fe != nil {
		return frameFacts{}, fe
	}
	sc.ws()
	if sc.i != len(sc.b) {
		return frameFacts{}, &frameError{rpcParseError, "request body has data after its JSON value: send exactly one JSON-RPC message or one batch"}
	}
	return sc.facts, nil
}

// frameScanner walks a JSON text once, without building values: a
// hand-written scanner, since encoding/json's token API allocates per token
// and made a 1 MiB body of numbers cost 0.3 s. It accepts exactly what
// json.Valid accepts (FuzzFrame checks it).
type frameScanner struct {
	b []byte
	i int
	// path holds, for the objects being walked at depths 0 to 2, the name
	// of the member being read ("" under an array): enough to know a
	// value's place is params._meta.progressToken.
	path  [3]string
	facts frameFacts
}

// note records what a member of an object at depth says of the message.
func (sc *frameScanner) note(depth int, name string, val []byte) {
	switch {
	case depth == 0 && name == "method" && val[0] == '"':
		json.Unmarshal(val, &sc.facts.method) // valid: just scanned
	case depth == 2 && name == "progressToken" && sc.path[0] == "params" && sc.path[1] == "_meta":
		sc.facts.progressToken = val[0] == '"' || val[0] == '-' || ('0' <= val[0] && val[0] <= '9')
	}
}

func (sc *frameScanner) bad(what string) *frameError {
	return &frameError{rpcParseError, fmt.Sprintf("request body is not valid JSON: %s at byte %d", what, sc.i)}
}

func (sc *frameScanner) ws() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *frameScanner) value(depth int) *frameError {
	if depth > MaxJSONDepth {
		return &frameError{rpcInvalidRequest, fmt.Sprintf("request JSON is nested deeper than %d levels", MaxJSONDepth)}
	}
	if sc.i >= len(sc.b) {
		return sc.bad("unexpected end")
	}
	switch c := sc.b[sc.i]; {
	case c == '{':
		return sc.object(depth)
	case c == '[':
		return sc.array(depth)
	case c == '"':
		_, _, fe := sc.str()
		return fe
	case c == '-' || ('0' <= c && c <= '9'):
		return sc.number()
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.literal("null")
	}
	return sc.bad(fmt.Sprintf("unexpected character %q", sc.b[sc.i]))
}

func (sc *frameScanner) literal(word string) *frameError {
	if !bytes.HasPrefix(sc.b[sc.i:], []byte(word)) {
		return sc.bad("invalid literal")
	}
	sc.i += len(word)
	return nil
}

func (sc *frameScanner) number() *frameError {
	start := sc.i
	if fe := sc.numberSyntax(); fe != nil {
		return fe
	}
	// A number no float64 holds (1e400) is valid JSON that no decoder of
	// the request can read: refuse it here, with the rest of the framing.
	if _, err := strconv.ParseFloat(string(sc.b[start:sc.i]), 64); err != nil {
		return sc.bad("number out of range")
	}
	return nil
}

func (sc *frameScanner) numberSyntax() *frameError {
	digits := func() int {
		n := 0
		for sc.i < len(sc.b) && '0' <= sc.b[sc.i] && sc.b[sc.i] <= '9' {
			sc.i++
			n++
		}
		return n
	}
	if sc.b[sc.i] == '-' {
		sc.i++
	}
	if sc.i < len(sc.b) && sc.b[sc.i] == '0' {
		sc.i++
	} else if digits() == 0 {
		return sc.bad("invalid number")
	}
	if sc.i < len(sc.b) && sc.b[sc.i] == '.' {
		sc.i++
		if digits() == 0 {
			return sc.bad("invalid number")
		}
	}
	if sc.i < len(sc.b) && (sc.b[sc.i] == 'e' || sc.b[sc.i] == 'E') {
		sc.i++
		if sc.i < len(sc.b) && (sc.b[sc.i] == '+' || sc.b[sc.i] == '-') {
			sc.i++
		}
		if digits() == 0 {
			return sc.bad("invalid number")
		}
	}
	return nil
}

// str scans a string; raw is its bytes between the quotes, escaped tells
// whether they hold an escape.
func (sc *frameScanner) str() (raw []byte, escaped bool, fe *frameError) {
	start := sc.i + 1
	for sc.i++; sc.i < len(sc.b); sc.i++ {
		switch c := sc.b[sc.i]; {
		case c == '"':
			raw = sc.b[start:sc.i]
			sc.i++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			sc.i++
			if sc.i >= len(sc.b) {
				return nil, false, sc.bad("unterminated string")
			}
			switch sc.b[sc.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if sc.i+4 >= len(sc.b) {
					return nil, false, sc.bad("unterminated string")
				}
				if _, ok := hex4(sc.b[sc.i+1 : sc.i+5]); !ok {
					return nil, false, sc.bad("invalid \\u escape")
				}
				sc.i += 4
			default:
				return nil, false, sc.bad("invalid escape")
			}
		case c < 0x20:
			return nil, false, sc.bad("control character in string")
		}
	}
	return nil, false, sc.bad("unterminated string")
}

// hex4 reads the hex digits of a \u escape.
func hex4(h []byte) (int, bool) {
	v, err := strconv.ParseUint(string(h), 16, 16)
	return int(v), err == nil
}

func (sc *frameScanner) object(depth int) *frameError {
	sc.i++ // {
	sc.ws()
	if sc.i < len(sc.b) && sc.b[sc.i] == '}' {
		sc.i++
		return nil
	}
	var keys map[string]bool
	for {
		sc.ws()
		if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
			return sc.bad("expected a member name")
		}
		raw, escaped, fe := sc.str()
		if fe != nil {
			return fe
		}
		key := string(raw)
		if escaped {
			json.Unmarshal(sc.b[sc.i-len(raw)-2:sc.i], &key) // valid: just scanned
		}
		fold := foldKey(key)
		if keys == nil {
			keys = map[string]bool{}
		}
		if keys[fold] {
			return &frameError{rpcInvalidRequest, fmt.Sprintf("duplicate key %q in a JSON object of the request: send each member once", truncate(key, 64))}
		}
		keys[fold] = true
		sc.ws()
		if sc.i >= len(sc.b) || sc.b[sc.i] != ':' {
			return sc.bad("expected ':'")
		}
		sc.i++
		sc.ws()
		if depth < len(sc.path) {
			sc.path[depth] = key
		}
		start := sc.i
		if fe := sc.value(depth + 1); fe != nil {
			return fe
		}
		sc.note(depth, key, sc.b[start:sc.i])
		if done, fe := sc.after('}'); done || fe != nil {
			return fe
		}
	}
}

// after reads what follows a member or an item: a comma (more follow) or
// the closing byte (done).
func (sc *frameScanner) after(closing byte) (done bool, fe *frameError) {
	sc.ws()
	if sc.i >= len(sc.b) {
		return false, sc.bad("unexpected end")
	}
	switch sc.b[sc.i] {
	case ',':
		sc.i++
		return false, nil
	case closing:
		sc.i++
		return true, nil
	}
	return false, sc.bad(fmt.Sprintf("expected ',' or '%c'", closing))
}

func (sc *frameScanner) array(depth int) *frameError {
	sc.i++ // [
	if depth < len(sc.path) {
		sc.path[depth] = ""
	}
	sc.ws()
	if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
		sc.i++
		return nil
	}
	for items := 1; ; items++ {
		if depth == 0 && items > MaxBatch {
			return &frameError{rpcInvalidRequest, fmt.Sprintf("JSON-RPC batch of more than %d messages: send at most %d per request", MaxBatch, MaxBatch)}
		}
		sc.ws()
		if fe := sc.value(depth + 1); fe != nil {
			return fe
		}
		if done, fe := sc.after(']'); done || fe != nil {
			return fe
		}
	}
}

// foldKey is a key as encoding/json compares it with struct fields
// (case-insensitively, with Unicode's special folds such as the Kelvin sign).
func foldKey(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] >= 0x80 {
			return strings.ToUpper(strings.ToLower(k))
		}
	}
	return strings.ToUpper(k)
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
