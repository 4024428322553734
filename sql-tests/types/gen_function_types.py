#!/usr/bin/env python3
"""Generate `function_types.slt`: `toTypeName` of every function's result, checked against ClickHouse.

    python3 sql-tests/types/gen_function_types.py [path/to/sluice]

For every function that both Sluice's and ClickHouse's `system.functions` list (scalar and
aggregate, aliases left out), the first argument list from CANDIDATES (scalars) or
AGG_CANDIDATES (aggregates, over `numbers(3)`) that ClickHouse accepts is used to write one
record `SELECT toTypeName(f(args))`. The expected lines are then filled by `regen.py` from
real ClickHouse (chdb), like every other .slt file: this script never writes an expected
result. Functions ClickHouse accepts with none of the candidates are listed at the end of
the file as a comment (they are covered, if at all, by the family's own .slt file).
"""
import os
import subprocess
import sys
import tempfile

os.environ["TZ"] = "UTC"

try:
    from chdb import session
except ImportError:
    py = os.path.expanduser("~/.cache/sluice-oracle/venv/bin/python")
    if os.path.exists(py) and sys.executable != py:
        os.execv(py, [py] + sys.argv)
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "function_types.slt")

# Functions whose result type depends on the moment, the host or a side effect, or that
# sleep: not meaningful to compare by one call.
SKIP = {
    "sleep", "sleepEachRow", "throwIf", "getServerSetting", "getSetting", "getSettingOrDefault",
    "hostName", "hostname", "FQDN", "fqdn", "uptime", "version", "revision", "buildId",
    "currentDatabase", "currentUser", "user", "currentSchemas", "currentQueryID", "queryID",
    "initialQueryID", "initial_query_id", "query_id", "serverUUID", "shardNum", "shardCount",
    "tcpPort", "getMacro", "displayName", "timezone", "timeZone", "serverTimezone",
    "serverTimeZone", "getOSKernelVersion", "file", "getClientHTTPHeader", "connectionId",
    "connection_id", "transactionID", "transactionLatestSnapshot", "transactionOldestSnapshot",
    "filesystemAvailable", "filesystemCapacity", "filesystemUnreserved", "blockNumber",
    "rowNumberInBlock", "rowNumberInAllBlocks", "blockSize", "currentProfiles",
    "enabledProfiles", "defaultProfiles", "currentRoles", "enabledRoles", "defaultRoles",
    "joinGet", "joinGetOrNull", "dictGet", "catboostEvaluate", "globalVariable",
    "getTypeSerializationStreams", "identity", "ignore",
}

D = "toDate('2024-01-02')"
DT = "toDateTime('2024-01-02 03:04:05')"
CANDIDATES = [
    "()",
    "(1)",
    "(-1)",
    "(1.5)",
    "('abc')",
    f"({D})",
    f"({DT})",
    "([1, 2, 3])",
    "(1, 2)",
    "('abc', 'b')",
    "('abc', 1)",
    "('abc', 1, 2)",
    "(1, 2, 3)",
    "('abc', 'b', 'c')",
    "([1, 2], [3, 4])",
    "([1, 2], 1)",
    "(x -> x + 1, [1, 2])",
    "(x -> x > 1, [1, 2])",
    "((acc, x) -> acc + x, [1, 2], 0)",
    "(map('a', 1))",
    "(map('a', 1), 'a')",
    "(tuple(1, 'a'))",
    "(tuple(1, 'a'), 1)",
    "('{\"a\":1}', 'a')",
    "('{\"a\":1}')",
    f"({DT}, 1)",
    f"({D}, 1)",
    f"({DT}, '%Y')",
    f"('second', {DT}, {DT})",
    f"('day', {DT})",
    "(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0'))",
    "('127.0.0.1')",
    "(toIPv4('1.2.3.4'))",
    "('1.2.3.4', '1.2.3.0/24')",
    "('https://example.com/a?b=1')",
    "('https://example.com/a?b=1', 'b')",
    "('2024-01-02 03:04:05')",
    "('abc', '\\\\w')",
    "('abc', '\\\\w', 'x')",
    "('abc', ['a', 'b'])",
    "(1, 'UInt8')",
    "('{\"a\":1}', 'a', 'UInt8')",
    "(toDecimal32(1.5, 2))",
    "(toDecimal32(1.5, 2), 1)",
    "(1, 2, 3, 4)",
    "(2024, 1, 2)",
    "(2024, 1, 2, 3, 4, 5)",
    "(1.5, 2.5, 3.5, 4.5)",
    "(toInterval(1, 'second'))",
    "(1, 1, 2, 3)",
    "(1, 2, [1, 2], [3, 4])",
    "([1, 2], [3, 4], [5, 6])",
    "('a', 1, 'b', 2)",
    "('abc', 3)",
    "(',', 'a,b')",
    "('YWJj')",
    f"({DT}, INTERVAL 1 HOUR)",
    "(toDateTime64('2024-01-02 03:04:05.123', 3))",
    "('{\"a\":1}', '$.a')",
    "('abc', 'x', 1)",
    "('a.b', '.', 1)",
    "(1, [1], [2], 0)",
    "(1, [3, 2, 1])",
    "(1, [0, 2])",
    "(toFixedString('0123456789abcdef', 16))",
    "(uniqState(1))",
    "('sum', [1, 2])",
]

# Forms that ClickHouse accepts first but that are degenerate (no arguments to a variadic
# function, an array of indices): Sluice differs there (docs/status.md), so the record
# uses the function's ordinary call instead.
OVERRIDES = {
    "arrayZip": "([1], ['a'])",
    "coalesce": "(NULL, 1)",
    "map": "('a', 1)",
    "javaHash": "('abc')",
    "hiveHash": "('abc')",
    "arrayElement": "([1, 2], 1)",
}

# Aggregates run over `SELECT number AS x, toString(number) AS s FROM numbers(3)`.
AGG_CANDIDATES = [
    "()",
    "(x)",
    "(s)",
    "(x, x)",
    "(x, s)",
    "(x > 0)",
    "(0.5)(x)",
    "(2)(x)",
    "(x, x, x)",
    "(1)(x, x)",
    "(3600)(x, x > 0, x > 1)",
    "(x, x > 0, x > 1)",
    "([x])",
    "(map(s, x))",
    "([x], [x])",
    "(tuple(x, x))",
    "(0.5)(x, x)",
    "('ttest')(x, x)",
    "(x, 1)",
    "(1, 2)(x, x)",
    "(2, 1)(x)",
    "(x, x > 1)",
    "(x, s, x)",
    "(toDateTime(x), x > 0)",
]

# A few combinator forms on common aggregates (ClickHouse's system.functions lists bases only).
EXTRA_AGG = [
    "sumIf(x, x > 0)", "countIf(x > 0)", "avgIf(x, x > 0)", "uniqIf(x, x > 0)",
    "sumOrNull(x)", "maxOrDefault(x)", "groupArrayIf(x, x > 0)", "sumArray([x])",
    "uniqExactDistinct(x)", "sumState(x)", "avgState(x)", "uniqState(x)",
    "sumMerge(sumState(x))", "quantileIf(0.5)(x, x > 0)", "argMaxState(s, x)",
    "sumForEach([x, x])",
]


def chdb_ok(sess, sql):
    try:
        res = sess.query(sql, "TSV")
        data = res.bytes() if hasattr(res, "bytes") else str(res).encode()
        return True, data.decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - ClickHouse rejected it
        return False, None


def sluice_functions(binary):
    q = "SELECT name, is_aggregate FROM system.functions WHERE alias_to = '' ORDER BY name"
    out = subprocess.run([binary, "local", "-q", q], capture_output=True, text=True, check=True).stdout
    return {l.split("\t")[0]: l.split("\t")[1] == "1" for l in out.splitlines() if l}


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../target/release/sluice")
    ours = sluice_functions(binary)
    with tempfile.TemporaryDirectory() as d:
        sess = session.Session(d)
        ok, text = chdb_ok(sess, "SELECT name, is_aggregate FROM system.functions WHERE alias_to = '' ORDER BY name")
        theirs = {l.split("\t")[0]: l.split("\t")[1] == "1" for l in text.splitlines() if l}
        names = sorted(n for n in ours if n in theirs and n not in SKIP)
        records, uncovered = [], []
        for n in names:
            if n in OVERRIDES:
                cands = [f"SELECT toTypeName({n}{OVERRIDES[n]})"]
            elif theirs[n]:
                cands = [f"SELECT toTypeName({n}{a}) FROM (SELECT number AS x, toString(number) AS s FROM numbers(3))"
                         for a in AGG_CANDIDATES]
            else:
                cands = [f"SELECT toTypeName({n}{a})" for a in CANDIDATES]
            for sql in cands:
                if chdb_ok(sess, sql)[0]:
                    records.append(sql)
                    break
            else:
                uncovered.append(n)
        for e in EXTRA_AGG:
            sql = f"SELECT toTypeName({e}) FROM (SELECT number AS x, toString(number) AS s FROM numbers(3))"
            if chdb_ok(sess, sql)[0]:
                records.append(sql)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# toTypeName of every function's result (scalar and aggregate) that both Sluice and\n")
        f.write("# ClickHouse list, with the first argument list ClickHouse accepts.\n")
        f.write("# Generated by gen_function_types.py; expectations by regen.py (real ClickHouse).\n\n")
        for sql in records:
            f.write(f"query T\n{sql}\n----\n\n")
        if uncovered:
            f.write("# No candidate argument list fits (covered by the family's own .slt file, if at all):\n")
            for i in range(0, len(uncovered), 8):
                f.write("# " + ", ".join(uncovered[i:i + 8]) + "\n")
    print(f"{len(records)} records, {len(uncovered)} functions without a fitting candidate -> {OUT}")


if __name__ == "__main__":
    main()
