#!/usr/bin/env bash
# End-to-end check with the official MCP TypeScript SDK client: builds
# cmd/local and cmd/server, starts two HTTP servers in -demo mode on free
# 127.0.0.1 ports (one without authentication, one requiring a bearer token
# of tier read-only), and runs e2e/mcp_client.mjs over stdio and Streamable
# HTTP, the compact mode, confirmation by elicitation over stdio
# (e2e/mcp_confirm.mjs) and several clusters. Every server is stopped on exit.
# Needs Go and Node.js >= 20; installs the pinned client with `npm ci`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PVE_CONFIRM=off # these clients call destructive tools directly; mcp_compact.mjs and mcp_confirm.mjs set PVE_CONFIRM=destructive for their confirmation checks

e2e_name=e2e
# shellcheck source=e2e/servers.sh
source e2e/servers.sh

if [[ ! -d e2e/node_modules/@modelcontextprotocol/sdk ]]; then
	(cd e2e && npm ci --no-audit --no-fund)
fi

echo "e2e: building cmd/local and cmd/server"
go build -o "$work/pve-mcp-local" ./cmd/local
go build -o "$work/pve-mcp-server" ./cmd/server
full=$(go run ./cmd/gendocs -count -tier full -clusters 2) # the demo runs two clusters
readonly_count=$(go run ./cmd/gendocs -count -tier read-only -clusters 2)
echo "e2e: registry holds $full tools at tier full, $readonly_count at read-only"

server_bin="$work/pve-mcp-server"

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

# 4. Several clusters (not demo mode): lab, office and a dead one served by
# e2e/simclusters, a caller with her own Proxmox token on office, one limited to lab.
go build -o "$work/simclusters" ./e2e/simclusters
"$work/simclusters" "$work/clusters.json" >"$work/simclusters.log" 2>&1 &
server_pids+=("$!")
for _ in $(seq 1 100); do [[ -s "$work/clusters.json" ]] && break; sleep 0.1; done
alice_token=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
labonly_token=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
clusters_tokens="[{\"name\":\"alice\",\"tier\":\"full\",\"token\":\"$alice_token\"},{\"name\":\"lab-only\",\"tier\":\"read-only\",\"clusters\":[\"lab\"],\"token\":\"$labonly_token\"}]"
start_server_real "$work/server-clusters.log" PVE_TOOL_MODE=all "PVE_CLUSTERS_FILE=$work/clusters.json" MCP_AUTH=tokens "MCP_AUTH_TOKENS=$clusters_tokens"
clusters_url=$started_url
echo "e2e: cmd/server with three clusters at $clusters_url"

status=0
PVE_TOOL_MODE=all E2E_LOCAL_BIN="$work/pve-mcp-local" \
	E2E_HTTP_URL="$url" \
	E2E_TOOLS_FULL="$full" \
	E2E_TOOLS_READONLY="$readonly_count" \
	E2E_AUTH_URL="$auth_url" \
	E2E_AUTH_TOKEN="$auth_token" \
	node e2e/mcp_client.mjs || status=$?
E2E_LOCAL_BIN="$work/pve-mcp-local" E2E_COMPACT_HTTP_URL="$compact_url" node e2e/mcp_compact.mjs || status=$?
E2E_LOCAL_BIN="$work/pve-mcp-local" node e2e/mcp_confirm.mjs || status=$?
E2E_CLUSTERS_URL="$clusters_url" E2E_ALICE_TOKEN="$alice_token" E2E_LABONLY_TOKEN="$labonly_token" node e2e/mcp_clusters.mjs || status=$?
if [[ $status -ne 0 ]]; then
	echo "e2e: server logs:" >&2
	cat "$work/server.log" "$work/server-auth.log" "$work/server-compact.log" "$work/server-clusters.log" >&2
fi
exit $status
