//! Input formats: parse, then print as TSV and compare with what ClickHouse prints for
//! `SELECT * FROM format(<fmt>, '<schema>', '<data>')` (oracle output).

use std::sync::Arc;

use arrow::datatypes::Schema;
use sluice_common::{ChType, ErrorCode};

use super::*;
use crate::output::{QueryStatistics, output_format};

const SCHEMA: &str =
    "a UInt8, b String, c Nullable(Int32), d Array(String), e DateTime('UTC'), f Decimal(10, 2)";

fn schema() -> SchemaRef {
    let cols = [
        ("a", "UInt8"),
        ("b", "String"),
        ("c", "Nullable(Int32)"),
        ("d", "Array(String)"),
        ("e", "DateTime('UTC')"),
        ("f", "Decimal(10, 2)"),
    ];
    Arc::new(Schema::new(
        cols.iter()
            .map(|(n, t)| ChType::parse(t).unwrap().to_field(n))
            .collect::<Vec<_>>(),
    ))
}

fn to_tsv(format: &str, data: &str) -> Result<String> {
    let settings = FormatSettings::default();
    let batches = input_format(format, schema(), &settings)?.read(data.as_bytes())?;
    let mut w = output_format("TSV", schema(), &settings)?;
    let mut out = Vec::new();
    for b in &batches {
        assert_eq!(b.schema(), schema());
        w.write_batch(b, &mut out)?;
    }
    w.write_suffix(&mut out, &QueryStatistics::default())?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn reads_like_clickhouse() {
    let _ = SCHEMA;
    // ch-oracle: SELECT * FROM format(TSV, SCHEMA, <data>)
    assert_eq!(
        to_tsv(
            "TSV",
            "1\tx\\ty\t\\N\t['a','b']\t2020-01-02 03:04:05\t1.5\n2\t\t-3\t[]\t1577934245\t-0.01\n"
        )
        .unwrap(),
        "1\tx\\ty\t\\N\t['a','b']\t2020-01-02 03:04:05\t1.5\n2\t\t-3\t[]\t2020-01-02 03:04:05\t-0.01\n"
    );
    // ch-oracle: SELECT * FROM format(CSV, SCHEMA, <data>)
    assert_eq!(
        to_tsv("CSV", "1,\"x,\"\"y\",\\N,\"['a']\",\"2020-01-02 03:04:05\",1.5\n2,,,\"[]\",2020-01-02T03:04:05Z,\n").unwrap(),
        "1\tx,\"y\t\\N\t['a']\t2020-01-02 03:04:05\t1.5\n2\t\t\\N\t[]\t2020-01-02 03:04:05\t0\n"
    );
    // ch-oracle: SELECT * FROM format(JSONEachRow, SCHEMA, <data>)
    assert_eq!(
        to_tsv(
            "JSONEachRow",
            "{\"a\":1,\"b\":\"x\",\"c\":null,\"d\":[\"a\"],\"zz\":5,\"e\":\"2020-01-02 03:04:05\",\"f\":1.5}\n{\"a\":\"2\",\"b\":3,\"e\":1577934245}"
        )
        .unwrap(),
        "1\tx\t\\N\t['a']\t2020-01-02 03:04:05\t1.5\n2\t3\t\\N\t[]\t2020-01-02 03:04:05\t0\n"
    );
    // ch-oracle: SELECT * FROM format(Values, SCHEMA, <data>)
    assert_eq!(
        to_tsv(
            "Values",
            "(1,'x',NULL,['a'],'2020-01-02 03:04:05',1.5), (2, 'y', -3, [], 1577934245, -0.01)"
        )
        .unwrap(),
        "1\tx\t\\N\t['a']\t2020-01-02 03:04:05\t1.5\n2\ty\t-3\t[]\t2020-01-02 03:04:05\t-0.01\n"
    );
}

#[test]
fn errors_carry_clickhouse_codes() {
    let e = to_tsv("TSV", "1\tx\n").unwrap_err();
    assert_eq!(e.code, ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED);
    assert!(e.message.ends_with("(at row 1)"), "{}", e.message);
    let e = to_tsv("Values", "(now(), 'x', 1, [], 0, 0)").unwrap_err();
    assert_eq!(e.code, ErrorCode::NOT_IMPLEMENTED);
    let e = to_tsv("Foo", "").unwrap_err();
    assert_eq!(e.code, ErrorCode::UNKNOWN_FORMAT);
    let strict = FormatSettings {
        skip_unknown_fields: false,
        ..FormatSettings::default()
    };
    let e = input_format("JSONEachRow", schema(), &strict)
        .unwrap()
        .read(b"{\"zz\":1}")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::INCORRECT_DATA);
}

#[test]
fn lines_and_blobs() {
    let s: SchemaRef = Arc::new(Schema::new(vec![ChType::String.to_field("line")]));
    let b = input_format("LineAsString", Arc::clone(&s), &FormatSettings::default())
        .unwrap()
        .read(b"a\nb c\n")
        .unwrap();
    assert_eq!(b[0].num_rows(), 2);
    let b = input_format("RawBLOB", Arc::clone(&s), &FormatSettings::default())
        .unwrap()
        .read(b"a\nb c\n")
        .unwrap();
    assert_eq!(b[0].num_rows(), 1);
    let b = input_format("JSONAsString", s, &FormatSettings::default())
        .unwrap()
        .read(b"{\"a\": 1}\n{\"b\":[2]}")
        .unwrap();
    let col = b[0].column(0);
    let strings = col
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap();
    assert_eq!(strings.value(0), "{\"a\": 1}");
    assert_eq!(strings.value(1), "{\"b\":[2]}");
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 8] = [
        b"",
        b"\xff\xfe",
        b"\"",
        b"[[[[",
        b"{\"a\":",
        b"(1,",
        b"1\t2\t3\t4\t5\t6\t7\n",
        b"\\",
    ];
    for fmt in [
        "TSV",
        "CSV",
        "JSONEachRow",
        "JSONCompactEachRow",
        "Values",
        "Parquet",
        "Arrow",
        "ArrowStream",
        "TSVWithNames",
        "CSVWithNamesAndTypes",
    ] {
        for data in inputs {
            let t0 = std::time::Instant::now();
            let r = input_format(fmt, schema(), &FormatSettings::default())
                .unwrap()
                .read(data);
            if let Ok(b) = r {
                assert!(b.iter().all(|b| b.schema() == schema()));
            }
            assert!(
                t0.elapsed().as_secs() < 2,
                "{fmt} {data:?} took {:?}",
                t0.elapsed()
            );
        }
    }
}
