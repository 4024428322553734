# Builds the arithmetic type-promotion table from real ClickHouse (chdb, via ch-oracle's venv).
import re, sys
from chdb import session
types=["UInt8","UInt16","UInt32","UInt64","UInt128","UInt256","Int8","Int16","Int32","Int64","Int128","Int256","Float32","Float64","Decimal(9, 2)","Decimal(18, 4)","Decimal(38, 3)","Decimal(76, 5)"]
ops=sys.argv[1].split(",")
s=session.Session()
for op in ops:
    for a in types:
        for b in types:
            q=f"SELECT toTypeName({op}(CAST(7 AS {a}), CAST(2 AS {b}))) AS t, toString({op}(CAST(7 AS {a}), CAST(2 AS {b})))"
            try:
                r=str(s.query(q,"TSV")).strip()
                print(f"{op}\t{a}\t{b}\t{r}")
            except Exception as e:
                m=re.search(r"\(([A-Z_]+)\)\s*$", str(e).strip())
                print(f"{op}\t{a}\t{b}\tERROR\t{m.group(1) if m else str(e)[:80]}")
