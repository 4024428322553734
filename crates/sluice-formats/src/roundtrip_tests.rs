//! Write → read round trips of every type through every format that can carry it, and
//! property tests over random strings and numbers.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use proptest::prelude::*;
use sluice_common::ChType;

use crate::native::tests::ALL_TYPES;
use crate::parse::parse_column;
use crate::{FormatSettings, QueryStatistics, input_format, output_format};

fn write(format: &str, batch: &RecordBatch) -> Vec<u8> {
    let mut w = output_format(format, batch.schema(), &FormatSettings::default()).unwrap();
    let mut out = Vec::new();
    w.write_prefix(&mut out).unwrap();
    w.write_batch(batch, &mut out).unwrap();
    w.write_suffix(&mut out, &QueryStatistics::default())
        .unwrap();
    out
}

fn round_trip(format: &str, batch: &RecordBatch) -> RecordBatch {
    let data = write(format, batch);
    let mut batches = input_format(format, batch.schema(), &FormatSettings::default())
        .unwrap()
        .read(&data)
        .unwrap_or_else(|e| panic!("{format}: {e}\n{}", String::from_utf8_lossy(&data)));
    assert_eq!(batches.len(), 1, "{format}");
    batches.remove(0)
}

#[test]
fn every_type_through_every_format() {
    let s = FormatSettings::default();
    for (ty, v) in ALL_TYPES {
        let t = ChType::parse(ty).unwrap();
        let vals: Vec<Option<&str>> = vec![Some(v), None];
        let col = parse_column(&vals, &t, &s).unwrap();
        let batch =
            RecordBatch::try_new(Arc::new(Schema::new(vec![t.to_field("c")])), vec![col]).unwrap();
        for format in [
            "Native",
            "RowBinary",
            "RowBinaryWithNamesAndTypes",
            "TSV",
            "TSVWithNames",
            "CSV",
            "CSVWithNamesAndTypes",
            "JSONEachRow",
            "JSONCompactEachRow",
            "Values",
        ] {
            // Tuples in CSV are split into several fields.
            if format.starts_with("CSV") && matches!(t, ChType::Tuple(_)) {
                continue;
            }
            // Known gap: JSON input reads numbers through serde_json, which keeps only
            // 64-bit integers and doubles exactly; wider integers and decimals with more
            // than 15 digits are written unquoted by default and lose precision.
            let wide = matches!(
                t,
                ChType::UInt128 | ChType::UInt256 | ChType::Int128 | ChType::Int256
            ) || matches!(t, ChType::Decimal { precision, .. } if precision > 15);
            if format.starts_with("JSON") && wide {
                continue;
            }
            let back = round_trip(format, &batch);
            assert_eq!(back.column(0), batch.column(0), "{ty} through {format}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn strings_and_numbers_round_trip(
        rows in proptest::collection::vec((any::<String>(), any::<i64>(), any::<f64>(), proptest::option::of(any::<String>())), 0..8)
    ) {
        let schema = Arc::new(Schema::new(vec![
            ChType::String.to_field("s"),
            ChType::Int64.to_field("i"),
            ChType::Float64.to_field("f"),
            ChType::parse("Nullable(String)").unwrap().to_field("n"),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>())) as ArrayRef,
                Arc::new(Int64Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
                Arc::new(Float64Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
                Arc::new(StringArray::from(rows.iter().map(|r| r.3.clone()).collect::<Vec<_>>())),
            ],
        )
        .unwrap();
        for format in ["Native", "RowBinary", "TSV", "CSV", "JSONEachRow", "Values"] {
            let back = round_trip(format, &batch);
            for c in [0, 1, 3] {
                prop_assert_eq!(back.column(c), batch.column(c), "{} column {}", format, c);
            }
            // NaN != NaN: compare the bit patterns (JSON writes nan/inf as null → 0).
            let fb = back.column(2).as_any().downcast_ref::<Float64Array>().unwrap();
            for (i, r) in rows.iter().enumerate() {
                let want = if format.starts_with("JSON") && !r.2.is_finite() { 0.0 } else { r.2 };
                prop_assert!(fb.value(i) == want || (fb.value(i).is_nan() && want.is_nan()), "{} {} vs {}", format, fb.value(i), want);
            }
        }
    }

    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let schema = Arc::new(Schema::new(vec![
            ChType::parse("Array(Nullable(String))").unwrap().to_field("a"),
            ChType::parse("LowCardinality(String)").unwrap().to_field("b"),
            ChType::parse("Map(String, Tuple(UInt8, Date))").unwrap().to_field("c"),
        ]));
        for format in ["Native", "RowBinary", "TSV", "CSV", "JSONEachRow", "Values", "Parquet", "ArrowStream"] {
            let _ = input_format(format, Arc::clone(&schema), &FormatSettings::default()).unwrap().read(&data);
        }
        let mut pos = 0;
        let _ = crate::native::read_native_block(&data, &mut pos);
    }
}
