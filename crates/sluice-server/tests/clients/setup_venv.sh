#!/usr/bin/env bash
# Creates the Python venv used by the real-client tests (idempotent).
# Usage: setup_venv.sh <venv-dir>   (default: <workspace>/target/pyenv)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$here/../../../../target/pyenv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import clickhouse_driver, clickhouse_connect, lz4, zstd, clickhouse_cityhash" 2>/dev/null; then
    "$venv/bin/pip" install -q clickhouse-driver clickhouse-connect lz4 zstd clickhouse-cityhash
fi
echo "$venv"
