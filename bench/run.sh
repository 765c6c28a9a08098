#!/usr/bin/env bash
# The pve-mcp benchmark suite: cold start (stdio and Lambda), per-call
# overhead, throughput, memory, context cost and binary size, each printed
# next to its target, then one machine-readable line starting with "BENCH".
# Arguments go to the Go program, e.g. `bash bench/run.sh -only cold,size`
# or `-duration 2s -runs 5` for a quick run; -strict exits 1 on a missed
# target. Needs Go; the Lambda part uses aws-lambda-rie when installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec go run ./bench "$@"
