#!/usr/bin/env bash
# End-to-end check with the official MCP TypeScript SDK client: builds
# cmd/local and cmd/server, starts the HTTP server in -demo mode on a free
# 127.0.0.1 port, and runs e2e/mcp_client.mjs over stdio and Streamable HTTP.
# Needs Go and Node.js >= 20; installs the pinned client with `npm ci`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

work=$(mktemp -d)
server_pid=""
cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
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

# The HTTP server on loopback. A port taken between free_port and listen is
# retried with another one.
url=""
for attempt in 1 2 3; do
	port=$(free_port)
	PVE_ACCESS_TIER=full "$work/pve-mcp-server" -demo -addr "127.0.0.1:$port" 2>"$work/server.log" &
	server_pid=$!
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			url="http://127.0.0.1:$port/mcp"
			break 2
		fi
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
	echo "e2e: server did not come up on port $port (attempt $attempt):" >&2
	cat "$work/server.log" >&2
done
if [[ -z "$url" ]]; then
	echo "e2e: could not start cmd/server" >&2
	exit 1
fi
echo "e2e: cmd/server -demo listening at $url"

status=0
E2E_LOCAL_BIN="$work/pve-mcp-local" \
	E2E_HTTP_URL="$url" \
	E2E_TOOLS_FULL="$full" \
	E2E_TOOLS_READONLY="$readonly_count" \
	node e2e/mcp_client.mjs || status=$?
if [[ $status -ne 0 ]]; then
	echo "e2e: server log:" >&2
	cat "$work/server.log" >&2
fi
exit $status
