//! Output formats against ClickHouse's bytes (expected values from `ch-oracle`).

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, UInt64Array};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use sluice_common::ChType;

use super::*;

/// `SELECT number AS n, toString(number*1000) AS s, if(number=1, NULL, number) AS x
///  FROM numbers(3)`
fn sample() -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        ChType::UInt64.to_field("n"),
        ChType::String.to_field("s"),
        ChType::parse("Nullable(UInt64)").unwrap().to_field("x"),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(UInt64Array::from(vec![0, 1, 2])) as ArrayRef,
            Arc::new(StringArray::from(vec!["0", "1000", "2000"])),
            Arc::new(UInt64Array::from(vec![Some(0), None, Some(2)])),
        ],
    )
    .unwrap()
}

fn render(
    format: &str,
    batch: &RecordBatch,
    totals: Option<&RecordBatch>,
    stats: &QueryStatistics,
) -> String {
    let mut w = output_format(format, batch.schema(), &FormatSettings::default()).unwrap();
    let mut out = Vec::new();
    w.write_prefix(&mut out).unwrap();
    w.write_batch(batch, &mut out).unwrap();
    if let Some(t) = totals {
        w.write_totals(t, &mut out).unwrap();
    }
    w.write_suffix(&mut out, stats).unwrap();
    String::from_utf8(out).unwrap()
}

fn check(format: &str, expected: &str) {
    assert_eq!(
        render(format, &sample(), None, &QueryStatistics::default()),
        expected,
        "{format}"
    );
}

#[test]
fn text_formats() {
    // ch-oracle -f <format> -q "<sample() query>"
    check(
        "TSVWithNamesAndTypes",
        "n\ts\tx\nUInt64\tString\tNullable(UInt64)\n0\t0\t0\n1\t1000\t\\N\n2\t2000\t2\n",
    );
    check("TSVRaw", "0\t0\t0\n1\t1000\t\\N\n2\t2000\t2\n");
    check("tsv", "0\t0\t0\n1\t1000\t\\N\n2\t2000\t2\n");
    check(
        "CSVWithNames",
        "\"n\",\"s\",\"x\"\n0,\"0\",0\n1,\"1000\",\\N\n2,\"2000\",2\n",
    );
    check(
        "JSONCompactEachRow",
        "[0, \"0\", 0]\n[1, \"1000\", null]\n[2, \"2000\", 2]\n",
    );
    check(
        "JSONStringsEachRow",
        "{\"n\":\"0\",\"s\":\"0\",\"x\":\"0\"}\n{\"n\":\"1\",\"s\":\"1000\",\"x\":\"ᴺᵁᴸᴸ\"}\n{\"n\":\"2\",\"s\":\"2000\",\"x\":\"2\"}\n",
    );
    check(
        "Markdown",
        "| n | s | x |\n|-:|:-|-:|\n| 0 | 0 | 0 |\n| 1 | 1000 | \\N |\n| 2 | 2000 | 2 |\n",
    );
    check("Values", "(0,'0',0),(1,'1000',NULL),(2,'2000',2)");
    check(
        "Vertical",
        "Row 1:\n──────\nn: 0\ns: 0\nx: 0\n\nRow 2:\n──────\nn: 1\ns: 1000\nx: ᴺᵁᴸᴸ\n\nRow 3:\n──────\nn: 2\ns: 2000\nx: 2\n",
    );
    check("Null", "");
}

#[test]
fn pretty_formats() {
    // ch-oracle -f <format> -q "<sample() query>"
    check(
        "PrettyCompact",
        "   ┌─n─┬─s────┬────x─┐\n1. │ 0 │ 0    │    0 │\n2. │ 1 │ 1000 │ ᴺᵁᴸᴸ │\n3. │ 2 │ 2000 │    2 │\n   └───┴──────┴──────┘\n",
    );
    check(
        "Pretty",
        "   ┏━━━┳━━━━━━┳━━━━━━┓\n   ┃ n ┃ s    ┃    x ┃\n   ┡━━━╇━━━━━━╇━━━━━━┩\n1. │ 0 │ 0    │    0 │\n   ├───┼──────┼──────┤\n2. │ 1 │ 1000 │ ᴺᵁᴸᴸ │\n   ├───┼──────┼──────┤\n3. │ 2 │ 2000 │    2 │\n   └───┴──────┴──────┘\n",
    );
    check(
        "PrettySpace",
        "    n   s         x\n\n1.  0   0         0 \n2.  1   1000   ᴺᵁᴸᴸ \n3.  2   2000      2 \n",
    );
}

#[test]
fn json_format() {
    // ch-oracle -f JSONCompact -q "<sample() query>" (statistics from the test's values)
    let stats = QueryStatistics {
        elapsed: 0.017357039,
        rows_read: 3,
        bytes_read: 24,
        rows_before_limit: None,
    };
    let expected = "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"n\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"String\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"x\",\n\t\t\t\"type\": \"Nullable(UInt64)\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t[0, \"0\", 0],\n\t\t[1, \"1000\", null],\n\t\t[2, \"2000\", 2]\n\t],\n\n\t\"rows\": 3,\n\n\t\"statistics\":\n\t{\n\t\t\"elapsed\": 0.017357039,\n\t\t\"rows_read\": 3,\n\t\t\"bytes_read\": 24\n\t}\n}\n";
    assert_eq!(render("JSONCompact", &sample(), None, &stats), expected);
}

#[test]
fn json_with_totals_and_limit() {
    // ch-oracle -f JSON -q "SELECT number % 2 AS k, count() AS c FROM numbers(10)
    //   GROUP BY k WITH TOTALS ORDER BY k LIMIT 1"
    let schema = Arc::new(Schema::new(vec![
        ChType::UInt8.to_field("k"),
        ChType::UInt64.to_field("c"),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(arrow::array::UInt8Array::from(vec![0])) as ArrayRef,
            Arc::new(UInt64Array::from(vec![5])),
        ],
    )
    .unwrap();
    let totals = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(arrow::array::UInt8Array::from(vec![0])) as ArrayRef,
            Arc::new(UInt64Array::from(vec![10])),
        ],
    )
    .unwrap();
    let stats = QueryStatistics {
        elapsed: 0.013901818,
        rows_read: 10,
        bytes_read: 80,
        rows_before_limit: Some(2),
    };
    let expected = "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"k\",\n\t\t\t\"type\": \"UInt8\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"UInt64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"k\": 0,\n\t\t\t\"c\": 5\n\t\t}\n\t],\n\n\t\"totals\":\n\t{\n\t\t\"k\": 0,\n\t\t\"c\": 10\n\t},\n\n\t\"rows\": 1,\n\n\t\"rows_before_limit_at_least\": 2,\n\n\t\"statistics\":\n\t{\n\t\t\"elapsed\": 0.013901818,\n\t\t\"rows_read\": 10,\n\t\t\"bytes_read\": 80\n\t}\n}\n";
    assert_eq!(render("JSON", &batch, Some(&totals), &stats), expected);
    // ch-oracle -f TSV (same query without LIMIT): totals after an empty line
    let t = render("TSV", &batch, Some(&totals), &QueryStatistics::default());
    assert_eq!(t, "0\t5\n\n0\t10\n");
}

#[test]
fn unknown_format() {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "a",
        arrow::datatypes::DataType::UInt8,
        false,
    )]));
    let err = output_format("Foo", schema, &FormatSettings::default())
        .err()
        .unwrap();
    assert_eq!(err.code, sluice_common::ErrorCode::UNKNOWN_FORMAT);
    assert_eq!(err.message, "Unknown format Foo");
}

#[test]
fn binary_formats_round_trip_through_arrow() {
    let batch = sample();
    for name in ["Parquet", "Arrow", "ArrowStream"] {
        let mut w = output_format(name, batch.schema(), &FormatSettings::default()).unwrap();
        let mut out = Vec::new();
        w.write_prefix(&mut out).unwrap();
        w.write_batch(&batch, &mut out).unwrap();
        w.write_suffix(&mut out, &QueryStatistics::default())
            .unwrap();
        assert!(out.len() > 100, "{name}");
        let batches: Vec<RecordBatch> = match name {
            "Parquet" => {
                let path = std::env::temp_dir().join(format!(
                    "sluice-formats-test-{}.parquet",
                    std::process::id()
                ));
                std::fs::write(&path, &out).unwrap();
                let file = std::fs::File::open(&path).unwrap();
                let r: Vec<RecordBatch> =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024)
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap();
                let _ = std::fs::remove_file(&path);
                r
            }
            "Arrow" => arrow::ipc::reader::FileReader::try_new(std::io::Cursor::new(out), None)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap(),
            _ => arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(out), None)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap(),
        };
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].columns(), batch.columns(), "{name}");
    }
}

/// `SELECT arrayJoin(['a', 'b\tc']) FORMAT RawBLOB / LineAsString` (bytes from ch-oracle).
#[test]
fn raw_formats() {
    let schema = Arc::new(Schema::new(vec![ChType::String.to_field("s")]));
    let batch = RecordBatch::try_new(
        schema,
        vec![Arc::new(StringArray::from(vec!["a", "b\tc"])) as ArrayRef],
    )
    .unwrap();
    let stats = QueryStatistics::default();
    assert_eq!(render("RawBLOB", &batch, None, &stats), "ab\tc");
    assert_eq!(render("LineAsString", &batch, None, &stats), "a\nb\tc\n");
    // `SELECT 'a' AS a, 'x' AS b FORMAT …`
    let schema = Arc::new(Schema::new(vec![
        ChType::String.to_field("a"),
        ChType::String.to_field("b"),
    ]));
    let two = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
            Arc::new(StringArray::from(vec!["x"])),
        ],
    )
    .unwrap();
    assert_eq!(render("RawBLOB", &two, None, &stats), "ax");
    assert_eq!(render("LineAsString", &two, None, &stats), "a\tx\n");
    let err = output_format("RawBLOB", sample().schema(), &FormatSettings::default())
        .err()
        .expect("numbers");
    assert_eq!(err.code, sluice_common::ErrorCode::NOT_IMPLEMENTED);
}

/// Parquet streams: a completed row group (1,048,576 rows) leaves the writer with the
/// batch that completed it, before the suffix; the pieces form one readable file.
#[test]
fn parquet_streams_row_groups() {
    let schema = Arc::new(Schema::new(vec![ChType::UInt64.to_field("n")]));
    let mut w = output_format("Parquet", Arc::clone(&schema), &FormatSettings::default()).unwrap();
    let mut out = Vec::new();
    w.write_prefix(&mut out).unwrap();
    let (batches, rows) = (11u64, 100_000u64);
    let mut before_suffix = 0;
    for b in 0..batches {
        let values: UInt64Array = (b * rows..(b + 1) * rows).collect();
        let batch =
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(values) as ArrayRef]).unwrap();
        w.write_batch(&batch, &mut out).unwrap();
        before_suffix = out.len();
    }
    w.write_suffix(&mut out, &QueryStatistics::default())
        .unwrap();
    // Eight bytes per value of the first row group were sent before the suffix.
    assert!(
        before_suffix > 8 * 1_048_576,
        "{before_suffix} of {}",
        out.len()
    );
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
        bytes::Bytes::from(out),
        65_536,
    )
    .unwrap();
    let (mut count, mut sum) = (0u64, 0u64);
    for batch in reader {
        let batch = batch.unwrap();
        let n = batch
            .column(0)
            .as_any()
            .downcast_ref::<UInt64Array>()
            .unwrap();
        count += n.len() as u64;
        sum += n.values().iter().sum::<u64>();
    }
    let total = batches * rows;
    assert_eq!((count, sum), (total, total * (total - 1) / 2));
}
