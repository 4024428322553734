//! Comparison and logical functions checked against ClickHouse (`ch-oracle -q "SELECT
//! toTypeName(f(...)), f(...)"`, the expression is in each comment).

use sluice_common::{ChType, ErrorCode};

use super::test_util::{call, column, fmt_value};

fn check(name: &str, args: &[(&str, Option<i64>)], expected_type: &str, expected: &str) {
    let f = super::functions()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no function {name}"));
    let args: Vec<_> = args
        .iter()
        .map(|(t, v)| {
            let t = ChType::parse(t).expect("type");
            (column(&t, &[*v]), t)
        })
        .collect();
    match call(&f, &args) {
        Ok((t, arr)) => {
            assert_eq!(t.to_string(), expected_type, "{name} type");
            assert_eq!(fmt_value(&arr, 0, &t), expected, "{name} value");
        }
        Err(e) => {
            let code = match &e {
                datafusion::error::DataFusionError::External(b) => {
                    b.downcast_ref::<sluice_common::Error>().map(|e| e.code)
                }
                _ => None,
            };
            assert_eq!(code.map(ErrorCode::name), Some(expected), "{name}: {e}")
        }
    }
}

#[test]
fn comparisons() {
    // equals(toUInt64(18446744073709551615), -1) → 0 ; less(-1, toUInt64(1)) → 1
    check(
        "equals",
        &[("UInt64", Some(-1)), ("Int8", Some(-1))],
        "UInt8",
        "0",
    );
    check(
        "less",
        &[("Int8", Some(-1)), ("UInt64", Some(1))],
        "UInt8",
        "1",
    );
    // equals(1, 1.0) → 1
    check(
        "equals",
        &[("UInt8", Some(1)), ("Float64", Some(1))],
        "UInt8",
        "1",
    );
    // greater(toDecimal32(1.5, 2), 1) → 1 (here 2 > 1)
    check(
        "greater",
        &[("Decimal(9, 2)", Some(2)), ("UInt8", Some(1))],
        "UInt8",
        "1",
    );
    check(
        "equals",
        &[("Decimal(9, 2)", Some(1)), ("Decimal(18, 4)", Some(1))],
        "UInt8",
        "1",
    );
    // equals(toInt128(1), 1) → 1 ; lessOrEquals(toUInt256(1), -1) → 0
    check(
        "equals",
        &[("Int128", Some(1)), ("UInt8", Some(1))],
        "UInt8",
        "1",
    );
    check(
        "lessOrEquals",
        &[("UInt256", Some(1)), ("Int8", Some(-1))],
        "UInt8",
        "0",
    );
    // equals(1, '1') → 1 ; less(1, 'a') → TYPE_MISMATCH
    check(
        "equals",
        &[("UInt8", Some(1)), ("String", Some(1))],
        "UInt8",
        "1",
    );
    // equals(NULL, 1) → Nullable(Nothing) ; equals(toNullable(1), 1) → Nullable(UInt8) 1
    check(
        "equals",
        &[("Nullable(Nothing)", None), ("UInt8", Some(1))],
        "Nullable(Nothing)",
        "\\N",
    );
    check(
        "equals",
        &[("Nullable(UInt8)", Some(1)), ("UInt8", Some(1))],
        "Nullable(UInt8)",
        "1",
    );
    // equals(toDate('2020-01-01'), toDateTime('2020-01-01 00:00:00')) → 1
    check(
        "equals",
        &[("Date", Some(18262)), ("DateTime", Some(1_577_836_800))],
        "UInt8",
        "1",
    );
}

#[test]
fn logical() {
    // and(1, 0) → UInt8 0 ; and(NULL, 0) → Nullable(UInt8) 0 ; and(NULL, 1) → \N
    check(
        "and",
        &[("UInt8", Some(1)), ("UInt8", Some(0))],
        "UInt8",
        "0",
    );
    check(
        "and",
        &[("Nullable(Nothing)", None), ("UInt8", Some(0))],
        "Nullable(UInt8)",
        "0",
    );
    check(
        "and",
        &[("Nullable(Nothing)", None), ("UInt8", Some(1))],
        "Nullable(UInt8)",
        "\\N",
    );
    // or(NULL, 1) → 1 ; or(NULL, 0) → \N
    check(
        "or",
        &[("Nullable(Nothing)", None), ("UInt8", Some(1))],
        "Nullable(UInt8)",
        "1",
    );
    check(
        "or",
        &[("Nullable(Nothing)", None), ("UInt8", Some(0))],
        "Nullable(UInt8)",
        "\\N",
    );
    // xor(1, 1, 1) → 1 ; xor(NULL, 1) → Nullable(Nothing)
    check(
        "xor",
        &[("UInt8", Some(1)), ("UInt8", Some(1)), ("UInt8", Some(1))],
        "UInt8",
        "1",
    );
    check(
        "xor",
        &[("Nullable(Nothing)", None), ("UInt8", Some(1))],
        "Nullable(Nothing)",
        "\\N",
    );
    // not(5) → 0 ; not(NULL) → Nullable(Nothing)
    check("not", &[("UInt8", Some(5))], "UInt8", "0");
    check(
        "not",
        &[("Nullable(Nothing)", None)],
        "Nullable(Nothing)",
        "\\N",
    );
    // and('a', 1) → ILLEGAL_TYPE_OF_ARGUMENT ; and(1) → TOO_FEW_ARGUMENTS_FOR_FUNCTION
    check(
        "and",
        &[("String", Some(1)), ("UInt8", Some(1))],
        "",
        "ILLEGAL_TYPE_OF_ARGUMENT",
    );
    check(
        "and",
        &[("UInt8", Some(1))],
        "",
        "TOO_FEW_ARGUMENTS_FOR_FUNCTION",
    );
    check(
        "and",
        &[("Decimal(9, 2)", Some(1)), ("UInt8", Some(1))],
        "",
        "ILLEGAL_TYPE_OF_ARGUMENT",
    );
}

#[test]
fn unparsable_string_is_type_mismatch() {
    // less(1, 'a') → TYPE_MISMATCH
    let f = super::functions()
        .into_iter()
        .find(|f| f.name() == "less")
        .expect("less");
    let s: datafusion::arrow::array::ArrayRef =
        std::sync::Arc::new(datafusion::arrow::array::StringArray::from(vec!["a"]));
    let err = call(
        &f,
        &[
            (column(&ChType::UInt8, &[Some(1)]), ChType::UInt8),
            (s, ChType::String),
        ],
    )
    .expect_err("must fail");
    let code = match &err {
        datafusion::error::DataFusionError::External(b) => {
            b.downcast_ref::<sluice_common::Error>().map(|e| e.code)
        }
        _ => None,
    };
    assert_eq!(code, Some(ErrorCode::TYPE_MISMATCH), "{err}");
}
