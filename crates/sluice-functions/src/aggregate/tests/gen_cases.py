#!/usr/bin/env python3
"""Regenerates cases.tsv (expected ClickHouse types and values) from cases.txt with the oracle.

Usage: python3 crates/sluice-functions/src/aggregate/tests/gen_cases.py

cases.txt: one case per line, `table<TAB>expression[<TAB>where-clause]`; `#` lines are
comments. Tables are defined below, identically to the MemTables in tests.rs.
"""
import os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.environ.get("CH_ORACLE", "/work/shared/tools/ch-oracle")
TABLES = {
    "t": """SELECT number, if(number % 3 = 0, NULL, number) AS x, toString(number) AS s,
        toInt32(number) - 5 AS i, toFloat32(number / 4) AS f, number / 4 AS d,
        toDecimal32(number / 4, 2) AS dec, toDate(number * 1000) AS dt, toUInt8(number % 2) AS c,
        CAST(NULL AS Nullable(UInt64)) AS n, range(number % 4) AS arr FROM numbers(10)""",
    "big": "SELECT number, toString(number) AS s, number % 1000 AS m FROM numbers(300000)",
}
# State tables; tests.rs creates the same views over its table `t` (keep STATES in sync).
STATES = """sumState(number) AS st_sum, countState(x) AS st_count, avgState(i) AS st_avg,
    minState(s) AS st_min, maxState(dec) AS st_max, argMaxState(s, i) AS st_argmax,
    sumIfState(number, c) AS st_sumif, sumStateIf(number, c) AS st_sumstateif, sumState(x) AS st_sumx,
    uniqState(number) AS st_uniq, groupArrayState(s) AS st_ga, quantilesState(0.5, 0.9)(number) AS st_q,
    uniqExactState(s) AS st_ue, uniqState(x) AS st_ux, avgState(x) AS st_avgx"""
TABLES["ts"] = f"SELECT {STATES} FROM ({TABLES['t']})"
TABLES["tse"] = f"SELECT {STATES} FROM ({TABLES['t']}) WHERE number > 100"

def main():
    cases = []
    with open(os.path.join(HERE, "cases.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            table, expr = parts[0], parts[1]
            where = parts[2] if len(parts) > 2 else ""
            cases.append((table, expr, where))
    stmts = []
    for table, expr, where in cases:
        w = f" WHERE {where}" if where else ""
        stmts.append(f"SELECT toTypeName({expr}), {expr} FROM ({TABLES[table]}){w} FORMAT TSV")
    out_lines = []
    r = subprocess.run([ORACLE, "-q", ";\n".join(stmts)], capture_output=True)
    lines = r.stdout.decode("utf-8", errors="replace").rstrip("\n").split("\n")
    if r.returncode != 0 or len(lines) != len(stmts):
        lines = []
        for stmt in stmts:  # one by one, to report errors per case
            r = subprocess.run([ORACLE, "-q", stmt], capture_output=True)
            err = r.stderr.decode("utf-8", errors="replace").strip()
            if r.returncode != 0:
                lines.append("ERROR\t" + (err.splitlines()[-1] if err else ""))
            else:
                lines.append(r.stdout.decode("utf-8", errors="replace").rstrip("\n"))
    for (table, expr, where), res in zip(cases, lines):
        out_lines.append(f"{table}\t{expr}\t{where}\t{res}")
    with open(os.path.join(HERE, "cases.tsv"), "w") as f:
        f.write("\n".join(out_lines) + "\n")
    print(f"{len(out_lines)} cases written", file=sys.stderr)
    grouped = []
    with open(os.path.join(HERE, "grouped.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            table, select, key = line.split("\t")
            q = f"SELECT {key}, {select} FROM ({TABLES[table]}) GROUP BY {key} ORDER BY {key} LIMIT 20 FORMAT TSV"
            r = subprocess.run([ORACLE, "-q", q], capture_output=True)
            rows = r.stdout.decode("utf-8", errors="replace").rstrip("\n").split("\n")
            grouped.append(f"{table}\t{select}\t{key}\t" + " | ".join(rows))
    with open(os.path.join(HERE, "grouped.tsv"), "w") as f:
        f.write("\n".join(grouped) + "\n")

main()
