# Sourced by the end-to-end scripts: a work directory, demo servers on free
# loopback ports, and their cleanup on exit. The sourcing script sets
# e2e_name (its name in messages) and server_bin (the cmd/server binary)
# before calling start_server.

work=$(mktemp -d)
server_pids=()
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

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_server LOG [VAR=value ...]: starts $server_bin -demo on a free
# loopback port with the given environment ({port} in a value is the port)
# and sets started_url to its /mcp URL. A port taken between free_port and
# listen is retried with another one.
started_url=""
start_server() {
	demo_flag=-demo start_server_with "$@"
}

# start_server_real LOG [VAR=value ...]: start_server without -demo (the
# environment says which Proxmox to reach).
start_server_real() {
	demo_flag="" start_server_with "$@"
}

start_server_with() {
	local log=$1
	shift
	local attempt port pid kv
	for attempt in 1 2 3; do
		port=$(free_port)
		local envs=()
		for kv in "$@"; do envs+=("${kv//\{port\}/$port}"); done
		# shellcheck disable=SC2086 # demo_flag is one word or none
		env "${envs[@]}" "$server_bin" $demo_flag -addr "127.0.0.1:$port" >"$log" 2>&1 </dev/null &
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
		echo "$e2e_name: server did not come up on port $port (attempt $attempt):" >&2
		cat "$log" >&2
	done
	echo "$e2e_name: could not start $server_bin" >&2
	exit 1
}
