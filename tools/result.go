package tools

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultMaxResultBytes caps one tool result's JSON text (32 KiB, about 8k
// tokens), so no single call floods an agent's context. Lists longer than
// that are cut at an item boundary with a note saying how to ask for less.
const DefaultMaxResultBytes = 32 << 10

// Output is what a handler produces: JSON data and an optional note for the
// agent (how to follow a task, how to page).
type Output struct {
	Data json.RawMessage
	Note string
}

// JSON marshals v into an Output.
func JSON(v any) (Output, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Output{}, err
	}
	return Output{Data: b}, nil
}

func (env *Env) result(out Output) *mcp.CallToolResult {
	data := bytes.TrimSpace(env.PVE.Redactor().Bytes(out.Data))
	if len(data) > 0 {
		var buf bytes.Buffer
		if json.Compact(&buf, data) == nil {
			data = buf.Bytes()
		}
	}
	note := out.Note
	limit := env.MaxResultBytes
	if limit <= 0 {
		limit = DefaultMaxResultBytes
	}
	if len(data) > limit {
		var cutNote string
		data, cutNote = cut(data, limit)
		if note != "" {
			note += "\n"
		}
		note += cutNote
	}
	res := &mcp.CallToolResult{}
	text := string(data)
	if len(data) == 0 || string(data) == "null" {
		text = "OK"
	}
	if note != "" {
		text += "\n" + env.PVE.Redactor().String(note)
	}
	res.Content = []mcp.Content{&mcp.TextContent{Text: text}}
	// structuredContent must be a whole JSON object (see structured): a
	// result cut as text is not one, and would make the answer unreadable.
	if sc := structured(data); sc != nil {
		res.StructuredContent = sc
	}
	return res
}

// cut shortens a JSON result to fit limit: a list keeps its first items, any
// other value is cut as text (then no longer valid JSON, and the note says so).
func cut(data []byte, limit int) ([]byte, string) {
	var items []json.RawMessage
	if data[0] == '[' && json.Unmarshal(data, &items) == nil {
		size, n := 2, 0
		for n < len(items) && size+len(items[n])+1 <= limit {
			size += len(items[n]) + 1
			n++
		}
		out, _ := json.Marshal(items[:n])
		return out, fmt.Sprintf("TRUNCATED: showing the first %d of %d items (%d bytes max). Narrow the request (filters, limit/start) to see the rest.", n, len(items), limit)
	}
	return data[:limit], fmt.Sprintf("TRUNCATED: result cut at %d of %d bytes and is incomplete JSON. Narrow the request to see all of it.", limit, len(data))
}

func (env *Env) errorResult(err error) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: env.errText(err)}},
	}
}
