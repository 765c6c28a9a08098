#!/usr/bin/env bash
# The Lambda bootstrap under the real Lambda runtime protocol: builds
# cmd/lambda as `bootstrap`, runs it under the AWS Lambda Runtime Interface
# Emulator (installed, pinned, with `go install` when missing) on 127.0.0.1 in demo
# mode (a simulated Proxmox cluster inside the function), and invokes it with
# the function URL events in events/: health, initialize, tools/list and a
# tools/call. Then again with FUNCTION_URL_INVOKE_MODE=RESPONSE_STREAM: the
# bootstrap answers through the runtime API's streaming response (the
# http-integration-response prelude, eight NUL bytes, the body), and a
# tools/call with a progress token carries its progress as SSE before the
# result. The emulator accepts a streamed response but hands it on only
# when the invocation ends, so timing (progress arriving while the call
# runs) is not checked here: cmd/lambda's TestStreamedProgress checks it.
# Exits non-zero on the first failed check; cleans up its processes. Needs Go and curl; nothing leaves the machine but the Go module
# download of the emulator.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
RIE_PID=""
passed=0
failed=0

stop_emulator() {
	if [[ -n "$RIE_PID" ]]; then
		# The emulator runs in its own process group with the bootstrap.
		kill -TERM -- "-$RIE_PID" 2>/dev/null || kill -TERM "$RIE_PID" 2>/dev/null || true
		for _ in $(seq 1 20); do kill -0 "$RIE_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$RIE_PID" 2>/dev/null || true
		RIE_PID=""
	fi
}
cleanup() {
	stop_emulator
	rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "lambda_rie: $*" >&2; }
die() {
	log "FAIL: $*"
	if [[ -f "$WORK/rie.log" ]]; then
		log "emulator and function output:"
		tail -n 40 "$WORK/rie.log" >&2
	fi
	echo "lambda_rie: $passed passed, $((failed + 1)) failed"
	exit 1
}

command -v go >/dev/null || die "go is not installed"
if ! command -v curl >/dev/null; then
	log "installing curl"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl; } >/dev/null 2>&1 || die "curl is missing and could not be installed"
fi

# The emulator, pinned: the newest version the Go module proxy serves (its
# tagged releases are not Go-installable; this pseudo-version is the
# module's main branch of 2026-10-30). Installed with `go install` unless
# that version is already there.
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
GOBIN_DIR=$(go env GOBIN)
[[ -n "$GOBIN_DIR" ]] || GOBIN_DIR="$(go env GOPATH)/bin"
RIE="$GOBIN_DIR/aws-lambda-rie"
if [[ ! -x "$RIE" ]] || ! go version -m "$RIE" 2>/dev/null | grep -qF "$RIE_MODULE	$RIE_VERSION"; then
	log "installing the Lambda Runtime Interface Emulator $RIE_VERSION"
	(cd "$WORK" && GOFLAGS= GOBIN="$GOBIN_DIR" go install "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION") || die "go install aws-lambda-rie@$RIE_VERSION failed"
fi
log "emulator: $(go version -m "$RIE" | awk '$1 == "mod" {print $2, $3}')"

# The bootstrap, built as for provided.al2023 (static, no RPC shim), for this machine's architecture.
log "building bootstrap"
(cd "$ROOT" && CGO_ENABLED=0 GOOS=linux go build -tags lambda.norpc -trimpath -o "$WORK/bootstrap" ./cmd/lambda) || die "building cmd/lambda failed"

# Two free loopback ports: the invoke endpoint and the runtime API.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port"
}

# start_emulator [VAR=VALUE...]: the emulator and the bootstrap in demo
# mode, with these extra variables, on fresh ports.
start_emulator() {
	INVOKE_PORT=$(free_port)
	API_PORT=$(free_port)
	while [[ "$API_PORT" == "$INVOKE_PORT" ]]; do API_PORT=$(free_port); done

	log "starting the emulator on 127.0.0.1:$INVOKE_PORT $*"
	env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
		PVE_DEMO=true MCP_AUTH=none \
		AWS_LAMBDA_FUNCTION_NAME=pve-mcp-e2e AWS_LAMBDA_FUNCTION_TIMEOUT=30 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
		AWS_REGION=eu-central-1 "$@" \
		setsid "$RIE" \
		--runtime-interface-emulator-address "127.0.0.1:$INVOKE_PORT" \
		--runtime-api-address "127.0.0.1:$API_PORT" \
		--log-level warn \
		"$WORK/bootstrap" >"$WORK/rie.log" 2>&1 &
	RIE_PID=$!

	URL="http://127.0.0.1:$INVOKE_PORT/2015-03-31/functions/function/invocations"
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$INVOKE_PORT") 2>/dev/null; then break; fi
		kill -0 "$RIE_PID" 2>/dev/null || die "the emulator exited"
		sleep 0.1
	done
}
start_emulator

# invoke EVENT: the function URL response the runtime returned.
invoke() {
	local file=$1
	[[ "$file" == /* ]] || file="$ROOT/events/$file"
	# tr: a streamed answer's prelude ends in NUL bytes, which bash drops with a warning.
	curl -sS --max-time 60 -X POST -H 'Content-Type: application/json' --data-binary "@$file" "$URL" | tr '\0' '~'
}

# check NAME EVENT PATTERN...: every fixed string must occur in the
# response; a pattern starting with ! must not.
check() {
	local name=$1 event=$2
	shift 2
	local out
	out=$(invoke "$event") || die "$name: invoke failed"
	for want in '"statusCode":200' "$@"; do
		if [[ "$want" == '!'* ]]; then
			if grep -qF -- "${want:1}" <<<"$out"; then
				die "$name: response has ${want:1}: ${out:0:600}"
			fi
		elif ! grep -qF -- "$want" <<<"$out"; then
			die "$name: response lacks $want: ${out:0:600}"
		fi
	done
	passed=$((passed + 1))
	log "ok: $name"
}

check "health" healthz.json '\"status\":\"ok\"'
check "initialize" initialize.json '\"protocolVersion\":\"2025-06-18\"' '\"serverInfo\"' '"Content-Type":"application/json'
# The default tool mode at tier full is compact: search, dispatchers, core tools.
check "tools/list" tools-list.json '\"name\":\"pve_search_tools\"' '\"name\":\"pve_read\"' '\"name\":\"pve_find_guests\"' '\"readOnlyHint\":true'
check "tools/call pve_get_node_status through pve_read" tools-call.json '\"id\":3' 'uptime' '!\"isError\":true'

# A second call on the same warm instance (no state kept between invocations).
check "tools/call again (warm)" tools-call.json 'uptime'

# The function logs JSON lines for CloudWatch: level and message.
grep -q '"level":"INFO","message":"pve-mcp ready for function URL invocations"' "$WORK/rie.log" \
	|| die "the bootstrap did not log its ready line in Lambda JSON form"
passed=$((passed + 1))
log "ok: Lambda JSON logs"

# Streaming: the function URL's InvokeMode RESPONSE_STREAM, as template.yaml
# sets it. The same events; the answer is the prelude and the raw body.
stop_emulator
start_emulator FUNCTION_URL_INVOKE_MODE=RESPONSE_STREAM PVE_HTTP_STREAM=true
PRELUDE_END='~~~~~~~~'
check "streamed: health" healthz.json "$PRELUDE_END" '"status":"ok"' '!"isBase64Encoded"'
check "streamed: tools/call as JSON" tools-call.json '"Content-Type":"application/json' "$PRELUDE_END"'{"jsonrpc":"2.0","id":3' 'uptime'
# A call with a progress token: start VM 102 and wait for its task.
sed 's|"body": ".*"|"body": "{\\"jsonrpc\\":\\"2.0\\",\\"id\\":7,\\"method\\":\\"tools/call\\",\\"params\\":{\\"name\\":\\"pve_start_qemu_vm\\",\\"arguments\\":{\\"vmid\\":102,\\"wait\\":10},\\"_meta\\":{\\"progressToken\\":\\"e2e\\"}}}"|' \
	"$ROOT/events/tools-call.json" >"$WORK/progress.json"
grep -qF '\"progressToken\":\"e2e\"' "$WORK/progress.json" || die "could not write the progress event"
out=$(invoke "$WORK/progress.json") || die "streamed progress: invoke failed"
[[ "$out" == *'"Content-Type":"text/event-stream"'*"$PRELUDE_END"* ]] || die "streamed progress: no SSE prelude: ${out:0:600}"
body=${out#*"$PRELUDE_END"}
progress=${body%%'"id":7'*}
[[ "$progress" == *'"method":"notifications/progress","params":{"progressToken":"e2e"'*'TASK OK'* ]] \
	|| die "streamed progress: no progress before the result: ${body:0:600}"
[[ "$body" == *'"id":7,"result"'*'\"guest_status\":\"running\"'* ]] || die "streamed progress: no result: ${body:0:800}"
passed=$((passed + 1))
log "ok: streamed: tools/call with a progress token is SSE, progress before the result"
grep -q '"invoke_mode":"RESPONSE_STREAM"' "$WORK/rie.log" || die "the bootstrap did not start in RESPONSE_STREAM mode"

echo "lambda_rie: $passed passed, $failed failed"
