#!/usr/bin/env python3
"""Regenerate the expected results of sqllogictest files from real ClickHouse (chdb).

    sql-tests/regen.py sql-tests/basic/select.slt [more.slt ...]

Each file runs top to bottom in one fresh chdb session (state kept in a temporary
directory, TZ=UTC), exactly as the Rust harness runs it in one Sluice engine:
- `statement ok` / `statement error ...`: the statement is run; the record is rewritten to
  `statement ok` or `statement error Code: N\\.` from what ClickHouse did;
- `query ...`: the output (TSV unless the query has a FORMAT clause) replaces the expected
  lines; an empty output line is written `(empty)`; a failing query becomes
  `query error Code: N\\.`.
Records keep their sort mode (`rowsort`) and comments. Uses the oracle's Python
(`~/.cache/sluice-oracle/venv`, created by `../shared/tools/ch-oracle --version`).
"""
import os
import re
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

CODE_RE = re.compile(r"Code: (\d+)")


def parse(text):
    """Split into records: (header, sql_lines, trailing_lines) and raw passthrough lines."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("statement") or line.startswith("query"):
            header = line
            i += 1
            sql = []
            while i < len(lines) and lines[i].strip() != "" and lines[i] != "----":
                sql.append(lines[i])
                i += 1
            if i < len(lines) and lines[i] == "----":
                i += 1
                while i < len(lines) and lines[i].strip() != "":
                    i += 1
            out.append(("record", header, sql))
        else:
            out.append(("raw", line))
            i += 1
    return out


def run(sess, sql):
    fmt = "TSV"
    try:
        res = sess.query(sql, fmt)
        data = res.bytes() if hasattr(res, "bytes") else str(res).encode()
        return True, data.decode("utf-8", "replace")
    except Exception as e:  # noqa: BLE001 - ClickHouse error text
        m = CODE_RE.search(str(e))
        return False, m.group(1) if m else "0"


def regen(path):
    text = open(path, encoding="utf-8").read()
    items = parse(text)
    out = []
    with tempfile.TemporaryDirectory() as d:
        sess = session.Session(d)
        for it in items:
            if it[0] == "raw":
                out.append(it[1])
                continue
            _, header, sql_lines = it
            sql = "\n".join(sql_lines)
            ok, res = run(sess, sql)
            words = header.split()
            if words[0] == "statement":
                out.append("statement ok" if ok else f"statement error Code: {res}\\.")
                out.extend(sql_lines)
                out.append("")
            else:
                if not ok:
                    out.append(f"query error Code: {res}\\.")
                    out.extend(sql_lines)
                    out.append("")
                    continue
                mode = [w for w in words[1:] if w in ("rowsort", "valuesort", "nosort")]
                out.append("query T" + ("" if not mode else " " + mode[0]))
                out.extend(sql_lines)
                out.append("----")
                body = res[:-1] if res.endswith("\n") else res
                if res:
                    for l in body.split("\n"):
                        out.append(l if l != "" else "(empty)")
                out.append("")
    # collapse runs of blank lines
    cleaned = []
    for l in out:
        if l == "" and cleaned and cleaned[-1] == "":
            continue
        cleaned.append(l)
    open(path, "w", encoding="utf-8").write("\n".join(cleaned).rstrip("\n") + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    for p in sys.argv[1:]:
        regen(p)
        print("regenerated", p)
