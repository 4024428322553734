# Least-supertype table from real ClickHouse: toTypeName([CAST(x AS A), CAST(y AS B)]).
import re, sys
from chdb import session
s=session.Session()
types=[("UInt8","1"),("UInt16","1"),("UInt32","1"),("UInt64","1"),("UInt128","1"),("UInt256","1"),("Int8","1"),("Int16","1"),("Int32","1"),("Int64","1"),("Int128","1"),("Int256","1"),("Float32","1"),("Float64","1"),("Decimal(9, 2)","1"),("Decimal(18, 4)","1"),("Decimal(38, 3)","1"),("Decimal(76, 5)","1"),("Bool","1"),("String","'1'"),("FixedString(3)","'1'"),("Date","'2020-01-01'"),("Date32","'2020-01-01'"),("DateTime","'2020-01-01 00:00:00'"),("DateTime('UTC')","'2020-01-01 00:00:00'"),("DateTime64(3)","'2020-01-01 00:00:00'"),("DateTime64(6, 'UTC')","'2020-01-01 00:00:00'"),("UUID","'00000000-0000-0000-0000-000000000000'"),("IPv4","'1.2.3.4'"),("Enum8('a' = 1)","'a'"),("Nullable(UInt8)","1"),("Nullable(Nothing)","NULL"),("LowCardinality(String)","'1'"),("Array(UInt8)","[1]"),("Tuple(UInt8, String)","(1,'a')")]
for a,va in types:
    for b,vb in types:
        e=f"[CAST({va} AS {a}), CAST({vb} AS {b})]"
        try:
            r=str(s.query(f"SELECT toTypeName({e}) SETTINGS use_variant_as_common_type = 0","TSV")).strip()
            print(f"{a}\t{b}\t{r[6:-1]}")
        except Exception as ex:
            m=re.search(r"\(([A-Z_]+)\)\s*$", str(ex).strip())
            print(f"{a}\t{b}\tERROR {m.group(1) if m else str(ex)[:200]}")
