#!/usr/bin/env bash
# JSON extraction, Sluice vs ClickHouse, per core, same data, same run.
#
# 1. Runs the criterion bench `json_extract` (sluice-functions): it generates 1M Debezium
#    events deterministically (seed 42), writes them to $WORK/events.jsonl, and measures
#    the seed view's seven JSON expressions on 65 536-row batches, one partition.
# 2. Loads the same file into ClickHouse (chdb, the oracle's Python) as a Memory table
#    `orders_kafka_json(payload String)` and times the same expressions with
#    max_threads = 1, aggregated with sum()/sum(length()) so the output is one row.
# 3. Prints both figures in GB/s of input JSON and their ratio: wall-clock throughput, and
#    per core (bytes over the CPU time the query used: the bench's thread CPU time, chdb's
#    process CPU time), which other processes on a shared machine do not depress.
#
# Usage: benches/json_vs_clickhouse.sh        (EVENTS=N to change the event count)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS="${EVENTS:-1000000}"
if [ -z "${WORK:-}" ]; then
  # the 400 MB events file goes away with the run unless the caller names WORK
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi
PY="${CH_ORACLE_PYTHON:-$HOME/.cache/sluice-oracle/venv/bin/python}"
# The bench binary of the workspace's one release build
# (`cargo build --release --workspace --examples --benches`), newest first; override
# BENCH_CMD to run the same bench from another checkout / harness.
if [ -z "${BENCH_CMD:-}" ]; then
  bin=$(ls -t target/release/deps/json_extract-* 2>/dev/null | grep -v '\.' | head -1 || true)
  if [ -z "$bin" ]; then
    echo "build first: cargo build --release --workspace --examples --benches" >&2
    exit 1
  fi
  BENCH_CMD="$bin --bench --noplot"
fi
if [ ! -x "$PY" ]; then
  /work/shared/tools/ch-oracle -q "SELECT 1" >/dev/null  # installs chdb on first use
fi

echo "== Sluice (criterion: $BENCH_CMD)"
SLUICE_BENCH_EVENTS="$EVENTS" SLUICE_BENCH_DUMP="$WORK/events.jsonl" \
  $BENCH_CMD 2>&1 | tee "$WORK/sluice.txt"

# criterion prints e.g. "thrpt:  [1.0236 GiB/s 1.0312 GiB/s 1.0390 GiB/s]"; take the middle.
sluice_gbs=$(awk '/thrpt:/ {
    v = $4; u = $5;
    f = (u ~ /^GiB/) ? 1.073741824 : (u ~ /^MiB/) ? 0.001048576 : (u ~ /^KiB/) ? 0.000001024 : 1;
    printf "%.3f", v * f; exit }' "$WORK/sluice.txt")

sluice_cpu=$(awk '/^cpu: seed view/ { print $(NF-3); exit }' "$WORK/sluice.txt")

echo "== ClickHouse (chdb, max_threads = 1)"
ch_out=$("$PY" - "$WORK/events.jsonl" <<'EOF'
import os, sys, time
from chdb import session
path = sys.argv[1]
s = session.Session()
s.query("CREATE TABLE orders_kafka_json (payload String) ENGINE = Memory")
s.query(f"INSERT INTO orders_kafka_json SELECT json FROM file('{path}', 'JSONAsString')")
rows, payload_bytes = map(int, str(s.query(
    "SELECT count(), sum(length(payload)) FROM orders_kafka_json", "TSV")).split())
q = """
SELECT sum(order_id), sum(length(order_date)), sum(purchaser), sum(quantity), sum(product_id),
       sum(length(operation_type))
FROM (
  SELECT
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'id') AS order_id,
    JSONExtractString(JSONExtractString(payload, 'after'), 'order_date') AS order_date,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'purchaser') AS purchaser,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'quantity') AS quantity,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'product_id') AS product_id,
    JSONExtractString(payload, 'op') AS operation_type
  FROM orders_kafka_json
  WHERE JSONExtractString(payload, 'op') IN ('c', 'u', 'r'))
SETTINGS max_threads = 1
"""
s.query(q, "TSV")  # warm-up
best = float("inf")
best_cpu = float("inf")
for _ in range(5):
    t0 = time.perf_counter()
    c0 = time.process_time()
    s.query(q, "TSV")
    best = min(best, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.process_time() - c0)
print(f"{payload_bytes / best / 1e9:.3f} {payload_bytes / best_cpu / 1e9:.3f}")
print(f"ClickHouse: {rows} rows, {payload_bytes} bytes, best of 5: {best:.3f} s, "
      f"{best_cpu:.3f} s of CPU", file=sys.stderr)
EOF
)

ch_gbs=${ch_out% *}
ch_cpu=${ch_out#* }

echo
echo "JSON extraction, seed view expressions, $EVENTS Debezium events, one core:"
echo "  wall clock:  Sluice ${sluice_gbs} GB/s, ClickHouse ${ch_gbs} GB/s"
awk -v s="$sluice_gbs" -v c="$ch_gbs" 'BEGIN { if (c > 0) printf "  Sluice / ClickHouse wall clock: %.2fx\n", s / c }'
echo "  per core:    Sluice ${sluice_cpu} GB/s, ClickHouse ${ch_cpu} GB/s (bytes / CPU seconds)"
awk -v s="$sluice_cpu" -v c="$ch_cpu" 'BEGIN { if (c > 0) printf "  Sluice / ClickHouse per core: %.2fx\n", s / c }'
