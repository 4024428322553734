//! Conditional functions checked against ClickHouse (`ch-oracle`; each query is in the
//! comment above its check), both called directly and planned through a DataFusion session
//! (where `if`/`multiIf` are rewritten to a lazily evaluated CASE).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt8Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::logical_expr::{ScalarUDF, col, lit};
use datafusion::prelude::SessionContext;
use sluice_common::{ChType, ErrorCode};

use crate::math::test_util::{call, column, fmt_value};

fn udf(name: &str) -> ScalarUDF {
    super::functions()
        .into_iter()
        .chain(crate::math::functions())
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

fn code_of(e: &datafusion::error::DataFusionError) -> Option<ErrorCode> {
    match e {
        datafusion::error::DataFusionError::External(b) => {
            b.downcast_ref::<sluice_common::Error>().map(|e| e.code)
        }
        datafusion::error::DataFusionError::Context(_, inner) => code_of(inner),
        datafusion::error::DataFusionError::Shared(inner) => code_of(inner),
        _ => None,
    }
}

/// Calls `name` on one-row typed integer arguments; checks type and value, or error code.
fn check(name: &str, args: &[(&str, Option<i64>)], expected_type: &str, expected: &str) {
    let args: Vec<_> = args
        .iter()
        .map(|(t, v)| {
            let t = ChType::parse(t).expect("type");
            (column(&t, &[*v]), t)
        })
        .collect();
    match call(&udf(name), &args) {
        Ok((t, arr)) => {
            assert_eq!(t.to_string(), expected_type, "{name} type");
            assert_eq!(fmt_value(&arr, 0, &t), expected, "{name} value");
        }
        Err(e) => assert_eq!(code_of(&e).map(|c| c.name()), Some(expected), "{name}: {e}"),
    }
}

#[test]
fn if_types_and_values() {
    // if(1, 1, -1) → Int16 1
    check(
        "if",
        &[("UInt8", Some(1)), ("UInt8", Some(1)), ("Int8", Some(-1))],
        "Int16",
        "1",
    );
    check(
        "if",
        &[("UInt8", Some(0)), ("UInt8", Some(1)), ("Int8", Some(-1))],
        "Int16",
        "-1",
    );
    // if(1, NULL, 1) → Nullable(UInt8) \N
    check(
        "if",
        &[
            ("UInt8", Some(1)),
            ("Nullable(Nothing)", None),
            ("UInt8", Some(1)),
        ],
        "Nullable(UInt8)",
        "\\N",
    );
    // if(NULL, 1, 2) → UInt8 2 ; if(toNullable(0), 1, 2) → UInt8 2
    check(
        "if",
        &[
            ("Nullable(Nothing)", None),
            ("UInt8", Some(1)),
            ("UInt8", Some(2)),
        ],
        "UInt8",
        "2",
    );
    check(
        "if",
        &[
            ("Nullable(UInt8)", Some(0)),
            ("UInt8", Some(1)),
            ("UInt8", Some(2)),
        ],
        "UInt8",
        "2",
    );
    // if(1, toUInt64(1), -1) → Variant in ClickHouse 26 → NO_COMMON_TYPE here
    check(
        "if",
        &[("UInt8", Some(1)), ("UInt64", Some(1)), ("Int8", Some(-1))],
        "",
        "NO_COMMON_TYPE",
    );
    // if(toDecimal32(1, 2), 1, 2) → ILLEGAL_TYPE_OF_ARGUMENT; if(0.5, …) likewise
    check(
        "if",
        &[
            ("Decimal(9, 2)", Some(1)),
            ("UInt8", Some(1)),
            ("UInt8", Some(2)),
        ],
        "",
        "ILLEGAL_TYPE_OF_ARGUMENT",
    );
    check(
        "if",
        &[("Float64", Some(1)), ("UInt8", Some(1)), ("UInt8", Some(2))],
        "",
        "ILLEGAL_TYPE_OF_ARGUMENT",
    );
    // if(1, toDate('2020-01-01'), toDateTime('2020-01-01 00:00:00', 'UTC')) → DateTime('UTC')
    check(
        "if",
        &[
            ("UInt8", Some(1)),
            ("Date", Some(18262)),
            ("DateTime('UTC')", Some(0)),
        ],
        "DateTime('UTC')",
        "2020-01-01T00:00:00Z",
    );
}

#[test]
fn multi_if_and_case() {
    // multiIf(0, 1, 1, 2, 3) → UInt8 2 ; multiIf(0, 1, NULL, 2, 3) → UInt8 3
    check(
        "multiIf",
        &[
            ("UInt8", Some(0)),
            ("UInt8", Some(1)),
            ("UInt8", Some(1)),
            ("UInt8", Some(2)),
            ("UInt8", Some(3)),
        ],
        "UInt8",
        "2",
    );
    check(
        "multiIf",
        &[
            ("UInt8", Some(0)),
            ("UInt8", Some(1)),
            ("Nullable(Nothing)", None),
            ("UInt8", Some(2)),
            ("UInt8", Some(3)),
        ],
        "UInt8",
        "3",
    );
    // multiIf(1, 'a') → NUMBER_OF_ARGUMENTS_DOESNT_MATCH
    check(
        "multiIf",
        &[("UInt8", Some(1)), ("UInt8", Some(1))],
        "",
        "NUMBER_OF_ARGUMENTS_DOESNT_MATCH",
    );
    // CASE WHEN 0 THEN 0 END → Nullable(UInt8) \N (the engine passes ELSE NULL)
    check(
        "multiIf",
        &[
            ("UInt8", Some(0)),
            ("UInt8", Some(0)),
            ("Nullable(Nothing)", None),
        ],
        "Nullable(UInt8)",
        "\\N",
    );
    // caseWithExpression(2, 1, 'a', 2, 'b', 'c') → 'b' (here with numbers: 20, 30, 40)
    check(
        "caseWithExpression",
        &[
            ("UInt8", Some(2)),
            ("UInt8", Some(1)),
            ("UInt8", Some(20)),
            ("Int16", Some(2)),
            ("UInt8", Some(30)),
            ("UInt8", Some(40)),
        ],
        "UInt8",
        "30",
    );
    // caseWithExpression(NULL, 1, 'a', 'c') → 'c'
    check(
        "caseWithExpression",
        &[
            ("Nullable(Nothing)", None),
            ("UInt8", Some(1)),
            ("UInt8", Some(20)),
            ("UInt8", Some(40)),
        ],
        "UInt8",
        "40",
    );
}

#[test]
fn null_functions() {
    // coalesce(NULL, 1) → UInt8 1 ; coalesce(toNullable(1), NULL) → Nullable(UInt8) 1
    check(
        "coalesce",
        &[("Nullable(Nothing)", None), ("UInt8", Some(1))],
        "UInt8",
        "1",
    );
    check(
        "coalesce",
        &[("Nullable(UInt8)", Some(1)), ("Nullable(Nothing)", None)],
        "Nullable(UInt8)",
        "1",
    );
    // coalesce(NULL, NULL) → Nullable(Nothing) \N ; coalesce(1, -1) → UInt8 1
    check(
        "coalesce",
        &[("Nullable(Nothing)", None), ("Nullable(Nothing)", None)],
        "Nullable(Nothing)",
        "\\N",
    );
    check(
        "coalesce",
        &[("UInt8", Some(1)), ("Int8", Some(-1))],
        "UInt8",
        "1",
    );
    check(
        "coalesce",
        &[("Nullable(UInt8)", None), ("Int8", Some(-1))],
        "Int16",
        "-1",
    );
    // ifNull(toNullable(1), -2) → Int16 1 ; ifNull(NULL, NULL) → Nullable(Nothing)
    check(
        "ifNull",
        &[("Nullable(UInt8)", Some(1)), ("Int8", Some(-2))],
        "Int16",
        "1",
    );
    check(
        "ifNull",
        &[("Nullable(Nothing)", None), ("Nullable(Nothing)", None)],
        "Nullable(Nothing)",
        "\\N",
    );
    // nullIf(1, 1) → Nullable(UInt8) \N ; nullIf(1, 2) → 1 ; nullIf(NULL, 1) → Nullable(Nothing)
    check(
        "nullIf",
        &[("UInt8", Some(1)), ("UInt8", Some(1))],
        "Nullable(UInt8)",
        "\\N",
    );
    check(
        "nullIf",
        &[("UInt8", Some(1)), ("UInt8", Some(2))],
        "Nullable(UInt8)",
        "1",
    );
    check(
        "nullIf",
        &[("Nullable(Nothing)", None), ("UInt8", Some(1))],
        "Nullable(Nothing)",
        "\\N",
    );
    check(
        "nullIf",
        &[("UInt8", Some(1)), ("String", Some(1))],
        "",
        "NO_COMMON_TYPE",
    );
    // isNull(NULL) → 1 ; isNull(1) → 0 ; isNotNull(NULL) → 0
    check("isNull", &[("Nullable(Nothing)", None)], "UInt8", "1");
    check("isNull", &[("UInt8", Some(1))], "UInt8", "0");
    check("isNotNull", &[("Nullable(Nothing)", None)], "UInt8", "0");
    // isZeroOrNull(0) → 1 ; isZeroOrNull(NULL) → 1 ; isZeroOrNull(toNullable(5)) → 0
    check("isZeroOrNull", &[("UInt8", Some(0))], "UInt8", "1");
    check("isZeroOrNull", &[("Nullable(Nothing)", None)], "UInt8", "1");
    check(
        "isZeroOrNull",
        &[("Nullable(UInt8)", Some(5))],
        "UInt8",
        "0",
    );
    check("isZeroOrNull", &[("String", Some(5))], "", "BAD_ARGUMENTS");
    // assumeNotNull(toNullable(1)) → UInt8 1 ; assumeNotNull(NULL) → ILLEGAL_COLUMN
    check(
        "assumeNotNull",
        &[("Nullable(UInt8)", Some(1))],
        "UInt8",
        "1",
    );
    check(
        "assumeNotNull",
        &[("Nullable(Nothing)", None)],
        "",
        "ILLEGAL_COLUMN",
    );
    // toNullable(1) → Nullable(UInt8) ; toNullable(NULL) → Nullable(Nothing); identity(1) → UInt8
    check("toNullable", &[("UInt8", Some(1))], "Nullable(UInt8)", "1");
    check(
        "toNullable",
        &[("Nullable(Nothing)", None)],
        "Nullable(Nothing)",
        "\\N",
    );
    check("identity", &[("UInt8", Some(1))], "UInt8", "1");
    // throwIf(1) → FUNCTION_THROW_IF_VALUE_IS_NON_ZERO ; throwIf(0) → UInt8 0 ; throwIf(NULL) → Nullable(Nothing)
    check(
        "throwIf",
        &[("UInt8", Some(1))],
        "",
        "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO",
    );
    check("throwIf", &[("UInt8", Some(0))], "UInt8", "0");
    check(
        "throwIf",
        &[("Nullable(Nothing)", None)],
        "Nullable(Nothing)",
        "\\N",
    );
}

fn session() -> SessionContext {
    let ctx = SessionContext::new();
    for f in super::functions()
        .into_iter()
        .chain(crate::math::functions())
    {
        ctx.register_udf(f);
    }
    ctx
}

fn batch(values: Vec<u8>) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::UInt8, false)]));
    let col: ArrayRef = Arc::new(UInt8Array::from(values));
    RecordBatch::try_new(schema, vec![col]).expect("batch")
}

/// `if(x = 0, 0, intDiv(1, x))` must not raise ILLEGAL_DIVISION for x = 0:
/// ch-oracle -q "SELECT if(number = 0, 0, intDiv(1, number)) FROM numbers(3)" → 0, 1, 0
#[tokio::test]
async fn if_short_circuits_through_datafusion() {
    let ctx = session();
    let df = ctx.read_batch(batch(vec![0, 1, 2])).expect("df");
    let x_is_zero = udf("equals").call(vec![col("x"), lit(0u8)]);
    let expr = udf("if").call(vec![
        x_is_zero,
        lit(0u8),
        udf("intDiv").call(vec![lit(1u8), col("x")]),
    ]);
    let out = df
        .select(vec![expr.alias("r")])
        .expect("select")
        .collect()
        .await
        .expect("no ILLEGAL_DIVISION");
    let field = out[0].schema().field(0).clone();
    assert_eq!(ChType::from_field(&field).to_string(), "UInt8");
    let r = out[0].column(0);
    let got: Vec<String> = (0..r.len())
        .map(|i| fmt_value(r, i, &ChType::UInt8))
        .collect();
    assert_eq!(got, vec!["0", "1", "0"]);

    // multiIf(x = 0, 100, intDiv(10, x)) likewise → 100, 10, 5
    let df = ctx.read_batch(batch(vec![0, 1, 2])).expect("df");
    let expr = udf("multiIf").call(vec![
        udf("equals").call(vec![col("x"), lit(0u8)]),
        lit(100u8),
        udf("intDiv").call(vec![lit(10u8), col("x")]),
    ]);
    let out = df
        .select(vec![expr.alias("r")])
        .expect("select")
        .collect()
        .await
        .expect("lazy");
    let r = out[0].column(0);
    let got: Vec<String> = (0..r.len())
        .map(|i| fmt_value(r, i, &ChType::UInt8))
        .collect();
    assert_eq!(got, vec!["100", "10", "5"]);
}

/// The rewritten CASE keeps ClickHouse metadata: `if(x, toInt128(1), toInt128(2))` stays Int128.
#[tokio::test]
async fn if_keeps_result_metadata() {
    let ctx = session();
    let df = ctx.read_batch(batch(vec![0, 1])).expect("df");
    let expr = udf("if").call(vec![
        col("x"),
        udf("negate").call(vec![lit(5u64)]),
        lit(1u8),
    ]);
    let df = df.select(vec![expr.alias("r")]).expect("select");
    let out = df.collect().await.expect("run");
    let field = out[0].schema().field(0).clone();
    assert_eq!(ChType::from_field(&field).to_string(), "Int64");
    let r = out[0].column(0);
    assert_eq!(fmt_value(r, 0, &ChType::Int64), "1");
    assert_eq!(fmt_value(r, 1, &ChType::Int64), "-5");
}

/// A result type that needs metadata (Int128 is stored as Decimal256(76, 0)) survives the
/// CASE rewrite: `if(x, big, 1)` with `big` an Int128 column → Int128.
#[tokio::test]
async fn if_rewrite_keeps_int128_metadata() {
    use datafusion::arrow::array::Decimal256Array;
    use datafusion::arrow::datatypes::i256;

    let big_field = ChType::Int128.to_field("big");
    let schema = Arc::new(Schema::new(vec![
        Field::new("x", DataType::UInt8, false),
        big_field,
    ]));
    let x: ArrayRef = Arc::new(UInt8Array::from(vec![0u8, 1]));
    let big: ArrayRef = Arc::new(
        Decimal256Array::from(vec![i256::from_i128(-5), i256::from_i128(-7)])
            .with_precision_and_scale(76, 0)
            .expect("decimal"),
    );
    let batch = RecordBatch::try_new(schema, vec![x, big]).expect("batch");
    let ctx = session();
    let df = ctx.read_batch(batch).expect("df");
    let expr = udf("if").call(vec![col("x"), col("big"), lit(1u8)]);
    let out = df
        .select(vec![expr.alias("r")])
        .expect("select")
        .collect()
        .await
        .expect("run");
    let field = out[0].schema().field(0).clone();
    assert_eq!(ChType::from_field(&field).to_string(), "Int128");
    let r = out[0].column(0);
    assert_eq!(fmt_value(r, 0, &ChType::Int128), "1");
    assert_eq!(fmt_value(r, 1, &ChType::Int128), "-7");
}

/// `caseWithExpression` is lazy too: CASE x WHEN 0 THEN 0 ELSE intDiv(10, x) END.
#[tokio::test]
async fn case_with_expression_short_circuits() {
    let ctx = session();
    let df = ctx.read_batch(batch(vec![0, 2, 5])).expect("df");
    let expr = udf("caseWithExpression").call(vec![
        col("x"),
        lit(0u8),
        lit(0u8),
        udf("intDiv").call(vec![lit(10u8), col("x")]),
    ]);
    let out = df
        .select(vec![expr.alias("r")])
        .expect("select")
        .collect()
        .await
        .expect("lazy");
    let r = out[0].column(0);
    let got: Vec<String> = (0..r.len())
        .map(|i| fmt_value(r, i, &ChType::UInt8))
        .collect();
    assert_eq!(got, vec!["0", "5", "2"]);
}
