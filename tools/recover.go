package tools

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

// internalError is all a caller learns of a panic; the log has the rest.
const internalError = "internal error: the tool failed unexpectedly and nothing more was done; the server log has the details"

// callGuards is the receiving middleware every server gets: panics
// contained (recoverPanics), and a tool call's large Proxmox answers held in
// the instance's memory budget until the call ends (pve.WithAnswerLease).
func callGuards(env *Env) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		guarded := recoverPanics(env)(next)
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if method == "tools/call" {
				var release func()
				ctx, release = pve.WithAnswerLease(ctx)
				defer release()
			}
			return guarded(ctx, method, req)
		}
	}
}

// recoverPanics is receiving middleware that contains a panic in any MCP
// method. The go-sdk runs handlers without recover, so one panic would end
// the process for every caller (on Lambda, the whole instance). A tools/call
// that panics answers an isError result; any other method a JSON-RPC
// internal error. The panic value and stack go to the log only, redacted:
// they may quote Proxmox data.
func recoverPanics(env *Env) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				tool := ""
				if params, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok && params != nil {
					tool = params.Name
				}
				log := env.Log
				if log == nil {
					log = slog.Default()
				}
				redact := func(s string) string { return s }
				if env.PVE != nil {
					redact = env.PVE.Redactor().String
				}
				log.Error("panic in an MCP method", "method", method, "tool", redact(tool),
					"panic", redact(fmt.Sprint(p)), "stack", redact(string(debug.Stack())))
				if method == "tools/call" {
					res, err = &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: internalError}}}, nil
					return
				}
				res, err = nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error"}
			}()
			return next(ctx, method, req)
		}
	}
}
