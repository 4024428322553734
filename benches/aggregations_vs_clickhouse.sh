#!/usr/bin/env bash
# SELECT aggregations, Sluice vs ClickHouse, same machine, same run (issue 2, point 15).
#
# 1. Over `numbers(100000000)`: whole-table aggregates, GROUP BY a small key, uniq.
# 2. Over the 1M Debezium events of the JSON benchmark (same SplitMix64 generator, seed 42,
#    as crates/sluice-functions/benches/json_extract.rs), loaded once into a Memory table
#    `events(payload String)` on both sides: GROUP BY on extracted JSON fields.
#
# Sluice runs as `target/release/sluice server` (build it with exactly
# `cargo build --release --workspace --examples --benches`), queried over HTTP; ClickHouse is
# chdb (ClickHouse 26.9, the oracle's Python) in-process. Both use their default thread
# count. Each query: one warm-up, then the best of $RUNS wall-clock times (and, apart, the
# best of the CPU seconds each process spent, which a loaded machine disturbs less); the
# results of the two systems are compared too. Prints Sluice's time, ClickHouse's, and the
# ratios (target: Sluice within 1.5x of ClickHouse).
#
# Usage: benches/aggregations_vs_clickhouse.sh   (NUMBERS=N, EVENTS=N, RUNS=N, PORT=N to change)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${CH_ORACLE_PYTHON:-$HOME/.cache/sluice-oracle/venv/bin/python}"
SLUICE="${SLUICE:-target/release/sluice}"
if [ ! -x "$PY" ]; then
  /work/shared/tools/ch-oracle -q "SELECT 1" >/dev/null  # installs chdb on first use
fi
if [ ! -x "$SLUICE" ]; then
  echo "build first: cargo build --release --workspace --examples --benches" >&2
  exit 1
fi
export NUMBERS="${NUMBERS:-100000000}" EVENTS="${EVENTS:-1000000}" RUNS="${RUNS:-3}" PORT="${PORT:-18923}" SLUICE
exec "$PY" - <<'EOF'
import atexit, os, shutil, subprocess, sys, tempfile, time, urllib.error, urllib.request, urllib.parse
from chdb import session

events, runs, port, sluice = int(os.environ["EVENTS"]), int(os.environ["RUNS"]), int(os.environ["PORT"]), os.environ["SLUICE"]
n = int(os.environ["NUMBERS"])
work = tempfile.mkdtemp(prefix="sluice-agg-bench-")
# The events file and the server's data (about 400 MB) go when the bench ends.
atexit.register(shutil.rmtree, work, ignore_errors=True)
path = os.path.join(work, "events.jsonl")

# The JSON benchmark's generator (SplitMix64, seed 42): the same events, byte for byte.
M = (1 << 64) - 1
state = 42
def nxt():
    global state
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
with open(path, "w") as f:
    for i in range(events):
        op = ["c", "u", "r", "c", "c", "u", "r", "d"][nxt() % 8]
        day = 1 + nxt() % 28
        purchaser, quantity, product = 1000 + nxt() % 100, 1 + nxt() % 20, 100 + nxt() % 50
        hh, mm = nxt() % 24, nxt() % 60
        after = (f'{{"id":{10000 + i},"order_date":"2025-09-{day:02}","purchaser":{purchaser},'
                 f'"quantity":{quantity},"product_id":{product},"created_at":"2025-09-{day:02}T{hh:02}:{mm:02}:00Z"}}')
        before, aft = ("null", after) if op in ("c", "r") else ((after, after) if op == "u" else (after, "null"))
        ts = 1725356200000 + i * 37
        f.write(f'{{"before":{before},"after":{aft},"source":{{"version":"2.6.0.Final","connector":"postgresql",'
                f'"name":"postgres-server","ts_ms":{ts},"snapshot":"false","db":"inventory","schema":"inventory",'
                f'"table":"orders","txId":{493 + i},"lsn":{24023928 + i * 64}}},"op":"{op}","ts_ms":{ts + 454}}}\n')

AFTER = "JSONExtractString(payload, 'after')"
QUERIES = [
    ("numbers: count/sum/avg/min/max",
     f"SELECT count(), sum(number), avg(number), min(number), max(number) FROM numbers({n})"),
    ("numbers: GROUP BY number % 10",
     f"SELECT number % 10 AS k, count(), sum(number), max(number) FROM numbers({n}) GROUP BY k ORDER BY k"),
    ("numbers: sumIf/countIf/avg(x*2.5)",
     f"SELECT sumIf(number, number % 3 = 0), countIf(number % 7 = 0), avg(number * 2.5) FROM numbers({n})"),
    ("numbers: GROUP BY number % 100000",
     f"SELECT sum(c) FROM (SELECT number % 100000 AS k, count() AS c FROM numbers({n}) GROUP BY k)"),
    ("numbers: uniq(number % 1000000)",
     f"SELECT uniq(number % 1000000) FROM numbers({n})"),
    ("events: count() GROUP BY op",
     "SELECT JSONExtractString(payload, 'op') AS op, count() FROM events GROUP BY op ORDER BY op"),
    ("events: sum(quantity) GROUP BY purchaser",
     f"SELECT JSONExtractUInt({AFTER}, 'purchaser') AS p, sum(JSONExtractUInt({AFTER}, 'quantity')) AS q, count() "
     f"FROM events WHERE JSONExtractString(payload, 'op') IN ('c', 'u', 'r') GROUP BY p ORDER BY q DESC, p LIMIT 5"),
    ("events: uniqExact(product) per day",
     f"SELECT JSONExtractString({AFTER}, 'order_date') AS d, uniqExact(JSONExtractUInt({AFTER}, 'product_id')), "
     f"max(JSONExtractUInt({AFTER}, 'id')) FROM events GROUP BY d ORDER BY d LIMIT 3"),
]

def best_of(f, cpu):
    """Best wall-clock and best CPU seconds (`cpu()`: the process's CPU time so far)."""
    f()
    best, best_cpu = float("inf"), float("inf")
    out = None
    for _ in range(runs):
        c0, t0 = cpu(), time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, cpu() - c0)
    return best, best_cpu, out

load_start = os.getloadavg()

# ClickHouse (chdb).
ch = session.Session()
ch.query("CREATE TABLE events (payload String) ENGINE = Memory")
ch.query(f"INSERT INTO events SELECT payload FROM file('{path}', 'TSV', 'payload String')")
ch_results = [best_of(lambda q=q: str(ch.query(q, "TSV")), time.process_time) for _, q in QUERIES]
ch.close()

# Sluice (server over HTTP).
srv = subprocess.Popen([sluice, "server", "--path", os.path.join(work, "data"), "--http-port", str(port),
                        "--tcp-port", str(port + 1)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def post(sql, data=None):
    url = f"http://127.0.0.1:{port}/?" + urllib.parse.urlencode({"query": sql} if data is not None else {})
    body = data if data is not None else sql.encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=600) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        sys.exit(f"sluice failed on {sql!r}: {e.read().decode()[:500]}")
try:
    for _ in range(300):
        try:
            post("SELECT 1")
            break
        except OSError:
            time.sleep(0.1)
    post("CREATE TABLE events (payload String) ENGINE = Memory")
    with open(path, "rb") as f:
        post("INSERT INTO events FORMAT TSV", f.read())
    tick = os.sysconf("SC_CLK_TCK")
    def server_cpu():
        with open(f"/proc/{srv.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    sl_results = [best_of(lambda q=q: post(q), server_cpu) for _, q in QUERIES]
finally:
    srv.terminate()
    srv.wait()

print(f"SELECT aggregations, Sluice vs ClickHouse (chdb), best of {runs}, {events} events:")
print("load average (1, 5, 15 min) at the start: %.2f %.2f %.2f, at the end: %.2f %.2f %.2f"
      % (load_start + os.getloadavg()))
print("wall: best elapsed seconds; cpu: best CPU seconds of the process (Sluice's server, chdb's Python)")
print(f"{'query':40} {'Sluice s':>9} {'CH s':>9} {'ratio':>7} {'Sl cpu':>7} {'CH cpu':>7} {'ratio':>7}  results")
for (name, _), (st, sc, so), (ct, cc, co) in zip(QUERIES, sl_results, ch_results):
    same = "equal" if so == co else "DIFFER"
    cpu_ratio = f"{sc / cc:6.2f}x" if cc > 0 else "     -"
    print(f"{name:40} {st:9.3f} {ct:9.3f} {st / ct:6.2f}x {sc:7.2f} {cc:7.2f} {cpu_ratio}  {same}")
    if so != co:
        print(f"    sluice: {so.strip()[:200]!r}\n    chdb:   {co.strip()[:200]!r}")
EOF
