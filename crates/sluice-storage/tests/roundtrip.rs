//! Round trip of every ClickHouse type through a part: random columns are inserted, read
//! back through the provider (DataFusion's Parquet scan), through `FINAL` (Sluice's own
//! reader and merge) and after a restart, and must come back identical with the same
//! ClickHouse types.

mod common;

use std::sync::Arc;

use common::*;
use datafusion::arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, FixedSizeBinaryArray, Int64Array, ListArray,
    MapArray, RecordBatch, StringArray, StructArray, UInt32Array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema};
use proptest::prelude::*;
use sluice_common::ChType;
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable};

/// xorshift, enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const TYPES: &[&str] = &[
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Int128",
    "UInt128",
    "Int256",
    "UInt256",
    "Float32",
    "Float64",
    "BFloat16",
    "Decimal(5, 1)",
    "Decimal(10, 2)",
    "Decimal(18, 4)",
    "Decimal(40, 5)",
    "String",
    "FixedString(3)",
    "Date",
    "Date32",
    "DateTime",
    "DateTime('Asia/Tokyo')",
    "DateTime64(3)",
    "DateTime64(6, 'UTC')",
    "UUID",
    "Bool",
    "IPv4",
    "IPv6",
    "Enum8('a' = 1, 'b' = 2)",
    "Enum16('x' = 1000, 'y' = -5)",
    "AggregateFunction(sum, UInt64)",
    "SimpleAggregateFunction(max, UInt64)",
    "Nullable(FixedString(2))",
    "LowCardinality(FixedString(4))",
    "Map(LowCardinality(String), Array(Nullable(Int64)))",
    "Nullable(Int32)",
    "Nullable(String)",
    "LowCardinality(String)",
    "LowCardinality(Nullable(String))",
    "Array(Int32)",
    "Array(Nullable(String))",
    "Array(Array(UInt8))",
    "Tuple(Int32, String)",
    "Tuple(a UInt8, b Nullable(Float64))",
    "Map(String, UInt64)",
];

fn random_array(t: &ChType, n: usize, rng: &mut Rng) -> ArrayRef {
    let dt = t.to_arrow();
    let arr: ArrayRef = match t {
        ChType::Nullable(inner) => {
            let base = random_array(inner, n, rng);
            let nulls = NullBuffer::from((0..n).map(|_| rng.below(4) != 0).collect::<Vec<_>>());
            let data = base
                .to_data()
                .into_builder()
                .nulls(Some(nulls))
                .build()
                .unwrap();
            datafusion::arrow::array::make_array(data)
        }
        ChType::LowCardinality(inner) => {
            let base = random_array(inner, n, rng);
            cast(&base, &dt).unwrap()
        }
        ChType::String => Arc::new(StringArray::from_iter_values(
            (0..n).map(|_| format!("s{}\t\\'é", rng.below(1000))),
        )),
        ChType::Enum8(_) => Arc::new(StringArray::from_iter_values(
            (0..n).map(|_| if rng.below(2) == 0 { "a" } else { "b" }),
        )),
        ChType::Enum16(_) => Arc::new(StringArray::from_iter_values(
            (0..n).map(|_| if rng.below(2) == 0 { "x" } else { "y" }),
        )),
        ChType::AggregateFunction { .. } => {
            Arc::new(BinaryArray::from_iter_values((0..n).map(|_| {
                (0..rng.below(9))
                    .map(|_| rng.below(256) as u8)
                    .collect::<Vec<u8>>()
            })))
        }
        ChType::SimpleAggregateFunction { arg, .. } => random_array(arg, n, rng),
        ChType::FixedString(_) | ChType::Uuid | ChType::IPv6 => {
            let w = match t {
                ChType::FixedString(w) => *w,
                _ => 16,
            };
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(
                    (0..n).map(|_| (0..w).map(|_| rng.below(256) as u8).collect::<Vec<u8>>()),
                )
                .unwrap_or_else(|_| FixedSizeBinaryArray::new_null(w as i32, 0)),
            )
        }
        ChType::Bool => Arc::new(BooleanArray::from_iter(
            (0..n).map(|_| Some(rng.below(2) == 1)),
        )),
        ChType::IPv4 => Arc::new(UInt32Array::from_iter_values(
            (0..n).map(|_| rng.next() as u32),
        )),
        ChType::Array(inner) => {
            let lens: Vec<usize> = (0..n).map(|_| rng.below(4) as usize).collect();
            let child = random_array(inner, lens.iter().sum(), rng);
            let DataType::List(f) = &dt else {
                unreachable!()
            };
            Arc::new(ListArray::new(
                Arc::clone(f),
                OffsetBuffer::from_lengths(lens),
                child,
                None,
            ))
        }
        ChType::Tuple(elems) => {
            let DataType::Struct(fields) = &dt else {
                unreachable!()
            };
            let children = elems.iter().map(|(_, e)| random_array(e, n, rng)).collect();
            Arc::new(StructArray::new(fields.clone(), children, None))
        }
        ChType::Map(k, v) => {
            let lens: Vec<usize> = (0..n).map(|_| rng.below(3) as usize).collect();
            let total: usize = lens.iter().sum();
            let keys = random_array(k, total, rng);
            let vals = random_array(v, total, rng);
            let DataType::Map(entries, sorted) = &dt else {
                unreachable!()
            };
            let DataType::Struct(kv) = entries.data_type() else {
                unreachable!()
            };
            let entries_arr = StructArray::new(kv.clone(), vec![keys, vals], None);
            Arc::new(
                MapArray::try_new(
                    Arc::clone(entries),
                    OffsetBuffer::from_lengths(lens),
                    entries_arr,
                    None,
                    *sorted,
                )
                .unwrap(),
            )
        }
        _ => {
            // Numbers, dates, times, decimals: random 32-bit values cast to the type.
            let (bound, signed) = match dt {
                DataType::UInt8 => (256, false),
                DataType::Int8 => (256, true),
                DataType::UInt16 => (65_536, false),
                DataType::Int16 => (65_536, true),
                DataType::UInt32 | DataType::UInt64 => (1 << 31, false),
                DataType::Timestamp(..) => (1 << 31, false),
                // The integer part must fit the precision (Decimal(5, 1): below 10^4).
                DataType::Decimal128(p, s) => (10u64.pow((p as i8 - s).clamp(1, 6) as u32), true),
                _ => (1 << 31, true),
            };
            let ints = Int64Array::from_iter_values((0..n).map(|_| {
                let v = rng.below(bound) as i64;
                if signed { v - bound as i64 / 2 } else { v }
            }));
            let ints: ArrayRef = Arc::new(ints);
            let via = match &dt {
                DataType::Date32 => DataType::Int32,
                DataType::Date64 => DataType::Int64,
                _ => dt.clone(),
            };
            let a = cast(&ints, &via).unwrap();
            if matches!(dt, DataType::Date32 | DataType::Date64) {
                let a = if dt == DataType::Date64 {
                    datafusion::arrow::compute::kernels::numeric::mul(
                        &a,
                        &datafusion::arrow::array::Scalar::new(Int64Array::from(vec![86_400_000])),
                    )
                    .unwrap()
                } else {
                    a
                };
                cast(&a, &dt).unwrap()
            } else {
                a
            }
        }
    };
    assert_eq!(arr.data_type(), &dt, "{t}");
    arr
}

fn fields_for(types: &[ChType]) -> Vec<Field> {
    let mut f = vec![ChType::UInt32.to_field("id")];
    f.extend(
        types
            .iter()
            .enumerate()
            .map(|(i, t)| t.to_field(&format!("c{i}"))),
    );
    f
}

fn check_round_trip(seed: u64, n: usize) {
    let mut rng = Rng(seed | 1);
    let types: Vec<ChType> = TYPES.iter().map(|t| ChType::parse(t).unwrap()).collect();
    let schema = Arc::new(Schema::new(fields_for(&types)));
    let mut cols: Vec<ArrayRef> = vec![Arc::new(UInt32Array::from_iter_values(0..n as u32))];
    cols.extend(types.iter().map(|t| random_array(t, n, &mut rng)));
    let batch = RecordBatch::try_new(Arc::clone(&schema), cols).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let make = || {
        MergeTreeTable::open(
            dir.path().join("t"),
            spec(MergeTreeEngine::MergeTree, Arc::clone(&schema), &["id"]),
        )
        .unwrap()
    };
    let t = make();
    t.insert(batch.clone(), InsertOptions::default()).unwrap();
    for final_ in [false, true] {
        let got = rt.block_on(read_sorted(&t, final_));
        assert_same(&batch, &got, final_);
    }
    t.shutdown();
    drop(t);
    let t = make();
    let got = rt.block_on(read_sorted(&t, false));
    assert_same(&batch, &got, false);
    for (i, f) in t.schema().fields().iter().enumerate() {
        assert_eq!(ChType::from_field(f), ChType::from_field(schema.field(i)));
    }
    t.shutdown();
}

async fn read_sorted(t: &MergeTreeTable, final_: bool) -> RecordBatch {
    let ctx = datafusion::prelude::SessionContext::new();
    ctx.register_table("t", t.provider(final_)).unwrap();
    let batches = ctx
        .sql("SELECT * FROM t ORDER BY id")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let schema = batches
        .first()
        .map(|b| b.schema())
        .unwrap_or_else(|| t.schema());
    concat_batches(&schema, &batches).unwrap()
}

fn assert_same(want: &RecordBatch, got: &RecordBatch, final_: bool) {
    assert_eq!(want.num_rows(), got.num_rows(), "final={final_}");
    for (i, f) in want.schema().fields().iter().enumerate() {
        assert_eq!(
            got.column(i).data_type(),
            f.data_type(),
            "final={final_} column {} ({})",
            f.name(),
            ChType::from_field(f)
        );
        assert_eq!(
            got.column(i).to_data(),
            want.column(i).to_data(),
            "final={final_} column {} ({})",
            f.name(),
            ChType::from_field(f)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn every_type_round_trips(seed in any::<u64>(), n in 0usize..400) {
        check_round_trip(seed, n);
    }
}

#[test]
fn fields_keep_metadata() {
    let f = fields_for(&[ChType::parse("Enum8('a' = 1)").unwrap()]);
    let fields = Fields::from(f);
    assert_eq!(ChType::from_field(&fields[1]).to_string(), "Enum8('a' = 1)");
}

/// Column codecs change the Parquet encoding/compression, never the values.
#[test]
fn codecs_keep_values() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("id", "UInt32"), ("f", "Float64"), ("s", "String")]);
    let t = MergeTreeTable::open(
        dir.path().join("t"),
        spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["id"]),
    )
    .unwrap();
    let e = t
        .set_column_codecs(vec![("id".into(), vec!["Foo".into()])])
        .unwrap_err();
    assert_eq!(e.code.0, 432);
    t.set_column_codecs(vec![
        ("id".into(), vec!["Delta(4)".into(), "ZSTD(3)".into()]),
        ("f".into(), vec!["Gorilla".into(), "LZ4".into()]),
        ("s".into(), vec!["NONE".into()]),
    ])
    .unwrap();
    let batch = rows(
        &s,
        &[&["1", "1.5", "a"], &["2", "-2.25", "b"], &["3", "0", ""]],
    );
    t.insert(batch.clone(), InsertOptions::default()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = rt.block_on(read_sorted(&t, false));
    assert_same(&batch, &got, false);
    // The file really uses the codecs.
    let part = &t.active_parts()[0];
    let file = std::fs::File::open(part.data_path()).unwrap();
    let reader = datafusion::parquet::file::reader::SerializedFileReader::new(file).unwrap();
    use datafusion::parquet::file::reader::FileReader;
    let rg = reader.metadata().row_group(0);
    // (Parquet records the codec, not its level.)
    assert!(matches!(
        rg.column(0).compression(),
        datafusion::parquet::basic::Compression::ZSTD(_)
    ));
    assert_eq!(
        rg.column(1).compression(),
        datafusion::parquet::basic::Compression::LZ4_RAW
    );
    assert!(
        rg.column(0)
            .encodings()
            .any(|e| e == datafusion::parquet::basic::Encoding::DELTA_BINARY_PACKED)
    );
    assert_eq!(
        rg.column(2).compression(),
        datafusion::parquet::basic::Compression::UNCOMPRESSED
    );
    t.shutdown();
}
