#!/usr/bin/env bash
# End-to-end check with the official MCP TypeScript SDK client: builds
# cmd/local and cmd/server, starts two HTTP servers in -demo mode on free
# 127.0.0.1 ports (one without authentication, one requiring a bearer token
# of tier read-only), and runs e2e/mcp_client.mjs over stdio and Streamable
# HTTP. Every server is stopped on exit.
# Needs Go and Node.js >= 20; installs the pinned client with `npm ci`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PVE_CONFIRM=off # these clients call destructive tools directly; confirmation is tested in Go (tools/confirm_test.go)

work=$(mktemp -d)
server_pids=()
started_url=""
cleanup() {
	local pid
	for pid in "${server_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -d e2e/node_modules/@modelcontextprotocol/sdk ]]; then
	(cd e2e && npm ci --no-audit --no-fund)
fi

echo "e2e: building cmd/local and cmd/server"
go build -o "$work/pve-mcp-local" ./cmd/local
go build -o "$work/pve-mcp-server" ./cmd/server
full=$(go run ./cmd/gendocs -count -tier full)
readonly_count=$(go run ./cmd/gendocs -count -tier read-only)
echo "e2e: registry holds $full tools at tier full, $readonly_count at read-only"

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_server LOG [VAR=value ...]: starts cmd/server -demo on a free loopback
# port with the given environment and sets started_url to its /mcp URL.
# A port taken between free_port and listen is retried with another one.
start_server() {
	local log=$1
	shift
	local attempt port pid
	for attempt in 1 2 3; do
		port=$(free_port)
		env "$@" "$work/pve-mcp-server" -demo -addr "127.0.0.1:$port" >"$log" 2>&1 </dev/null &
		pid=$!
		server_pids+=("$pid")
		for _ in $(seq 1 100); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				started_url="http://127.0.0.1:$port/mcp"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		echo "e2e: server did not come up on port $port (attempt $attempt):" >&2
		cat "$log" >&2
	done
	echo "e2e: could not start cmd/server" >&2
	return 1
}

# 1. No authentication configured: allowed on loopback. PVE_TOOL_MODE=all:
# mcp_client.mjs calls every tool by its name; mcp_compact.mjs covers compact.
start_server "$work/server.log" PVE_ACCESS_TIER=full PVE_TOOL_MODE=all
url=$started_url
echo "e2e: cmd/server -demo listening at $url"

# 2. Static bearer token with its own tier (read-only) on a full deployment.
auth_token=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
start_server "$work/server-auth.log" PVE_ACCESS_TIER=full PVE_TOOL_MODE=all MCP_AUTH=tokens "MCP_AUTH_TOKENS=e2e-reader:read-only:$auth_token"
auth_url=$started_url
echo "e2e: cmd/server -demo with bearer-token auth at $auth_url"

# 3. The default tool mode (auto: compact at tier full).
start_server "$work/server-compact.log" PVE_ACCESS_TIER=full
compact_url=$started_url
echo "e2e: cmd/server -demo in the default (compact) tool mode at $compact_url"

status=0
PVE_TOOL_MODE=all E2E_LOCAL_BIN="$work/pve-mcp-local" \
	E2E_HTTP_URL="$url" \
	E2E_TOOLS_FULL="$full" \
	E2E_TOOLS_READONLY="$readonly_count" \
	E2E_AUTH_URL="$auth_url" \
	E2E_AUTH_TOKEN="$auth_token" \
	node e2e/mcp_client.mjs || status=$?
E2E_LOCAL_BIN="$work/pve-mcp-local" E2E_COMPACT_HTTP_URL="$compact_url" node e2e/mcp_compact.mjs || status=$?
if [[ $status -ne 0 ]]; then
	echo "e2e: server logs:" >&2
	cat "$work/server.log" "$work/server-auth.log" "$work/server-compact.log" >&2
fi
exit $status
