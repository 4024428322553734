//! Math functions checked against ClickHouse: each comment holds the `ch-oracle` expression
//! whose `toTypeName(...)` and value the check repeats.

use sluice_common::{ChType, ErrorCode};

use super::test_util::{call, fmt_value, lit_column};

fn check(name: &str, args: &[(&str, &str)], expected_type: &str, expected: &str) {
    let f = super::functions()
        .into_iter()
        .find(|f| f.name() == name || f.aliases().iter().any(|a| a == name))
        .unwrap_or_else(|| panic!("no function {name}"));
    let args: Vec<_> = args
        .iter()
        .map(|(t, v)| {
            let t = ChType::parse(t).expect("type");
            (lit_column(&t, v), t)
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
fn abs_and_sign() {
    check("abs", &[("Int8", "-128")], "UInt8", "128"); // abs(toInt8(-128))
    check("abs", &[("Int64", "-5")], "UInt64", "5"); // abs(toInt64(-5))
    check("abs", &[("UInt8", "5")], "UInt8", "5");
    check("abs", &[("Float64", "-1.5")], "Float64", "1.5");
    check("abs", &[("Float32", "-1.5")], "Float32", "1.5");
    check("abs", &[("Decimal(9, 2)", "-1.5")], "Decimal(9, 2)", "1.5");
    check("abs", &[("Int128", "-5")], "UInt128", "5");
    check("sign", &[("Int8", "-5")], "Int8", "-1");
    check("sign", &[("UInt8", "5")], "Int8", "1");
    check("sign", &[("Float64", "-0.5")], "Int8", "-1");
    check("sign", &[("UInt8", "0")], "Int8", "0");
    check("sign", &[("Decimal(9, 2)", "-1.5")], "Int8", "-1");
}

#[test]
fn rounding() {
    check("round", &[("Float64", "2.5")], "Float64", "2"); // round(2.5)
    check("round", &[("Float64", "3.5")], "Float64", "4");
    check("round", &[("Float64", "-2.5")], "Float64", "-2");
    check("round", &[("Float32", "2.5")], "Float32", "2");
    check(
        "round",
        &[("Float64", "2.675"), ("UInt8", "2")],
        "Float64",
        "2.68",
    );
    check(
        "round",
        &[("UInt16", "1234"), ("Int8", "-2")],
        "UInt16",
        "1200",
    );
    check("round", &[("UInt8", "250"), ("Int8", "-1")], "UInt8", "250");
    check("round", &[("UInt8", "15"), ("Int8", "-1")], "UInt8", "20");
    check("round", &[("UInt8", "25"), ("Int8", "-1")], "UInt8", "30");
    check("round", &[("Int64", "-15"), ("Int8", "-1")], "Int64", "-20");
    check(
        "round",
        &[("Decimal(9, 3)", "2.555"), ("UInt8", "2")],
        "Decimal(9, 3)",
        "2.56",
    );
    check("round", &[("Decimal(9, 1)", "2.5")], "Decimal(9, 1)", "3");
    check("round", &[("Decimal(9, 1)", "-2.5")], "Decimal(9, 1)", "-3");
    check(
        "round",
        &[("Float64", "2.5"), ("UInt8", "1")],
        "Float64",
        "2.5",
    );
    check("round", &[("Float64", "nan")], "Float64", "nan");
    check("roundBankers", &[("Float64", "2.5")], "Float64", "2");
    check("roundBankers", &[("Float64", "3.5")], "Float64", "4");
    check(
        "roundBankers",
        &[("UInt8", "25"), ("Int8", "-1")],
        "UInt8",
        "20",
    );
    check(
        "roundBankers",
        &[("Decimal(9, 1)", "2.5")],
        "Decimal(9, 1)",
        "2",
    );
    check("floor", &[("Float64", "2.7")], "Float64", "2");
    check("floor", &[("Float64", "-2.7")], "Float64", "-3");
    check("floor", &[("UInt8", "17"), ("Int8", "-1")], "UInt8", "10");
    check(
        "floor",
        &[("Float64", "2.777"), ("UInt8", "2")],
        "Float64",
        "2.77",
    );
    check(
        "floor",
        &[("Decimal(9, 2)", "-2.77"), ("UInt8", "1")],
        "Decimal(9, 2)",
        "-2.8",
    );
    check("ceil", &[("Float64", "2.1")], "Float64", "3");
    check("ceiling", &[("Float64", "2.1")], "Float64", "3");
    check("ceil", &[("UInt8", "17"), ("Int8", "-1")], "UInt8", "20");
    check("trunc", &[("Float64", "-2.7")], "Float64", "-2");
    check(
        "truncate",
        &[("Float64", "2.77"), ("UInt8", "1")],
        "Float64",
        "2.7",
    );
    check("round", &[("UInt8", "1")], "UInt8", "1");
    check("roundToExp2", &[("UInt8", "7")], "UInt8", "4");
    check("roundToExp2", &[("UInt8", "0")], "UInt8", "0");
    check("roundToExp2", &[("UInt8", "8")], "UInt8", "8");
    check("roundToExp2", &[("Float32", "7.5")], "Float32", "4");
    check("roundToExp2", &[("Int8", "-3")], "Int8", "0");
}

#[test]
fn float_functions() {
    check("sqrt", &[("UInt8", "4")], "Float64", "2");
    check("sqrt", &[("Float32", "4")], "Float64", "2");
    check("sqrt", &[("Int8", "-1")], "Float64", "nan");
    check("sqrt", &[("Decimal(9, 2)", "4")], "Float64", "2");
    check("sqrt", &[("Int128", "4")], "Float64", "2");
    check("cbrt", &[("UInt8", "27")], "Float64", "3");
    check("pow", &[("UInt8", "2"), ("UInt8", "10")], "Float64", "1024");
    check(
        "power",
        &[("UInt8", "2"), ("Float64", "0.5")],
        "Float64",
        "1.4142135623730951",
    );
    check("exp", &[("UInt8", "1")], "Float64", "2.718281828459045");
    check("exp2", &[("UInt8", "10")], "Float64", "1024");
    check("exp10", &[("UInt8", "2")], "Float64", "100");
    check("ln", &[("UInt8", "1")], "Float64", "0");
    check("log2", &[("UInt8", "8")], "Float64", "3");
    check("log10", &[("UInt16", "1000")], "Float64", "3");
    check("log1p", &[("UInt8", "0")], "Float64", "0");
    check("log", &[("UInt8", "0")], "Float64", "-inf");
    check("log", &[("Int8", "-1")], "Float64", "nan");
    check("cos", &[("UInt8", "0")], "Float64", "1");
    check("asin", &[("UInt8", "1")], "Float64", "1.5707963267948966");
    check("atan", &[("UInt8", "1")], "Float64", "0.7853981633974483");
    check(
        "atan2",
        &[("UInt8", "1"), ("UInt8", "1")],
        "Float64",
        "0.7853981633974483",
    );
    check("cosh", &[("UInt8", "0")], "Float64", "1");
    check("acosh", &[("UInt8", "1")], "Float64", "0");
    check("isNaN", &[("Float64", "nan")], "UInt8", "1");
    check("isNaN", &[("UInt8", "1")], "UInt8", "0");
    check("isFinite", &[("Float64", "inf")], "UInt8", "0");
    check("isInfinite", &[("Float64", "-inf")], "UInt8", "1");
    check(
        "isNaN",
        &[("Decimal(9, 2)", "1")],
        "",
        "ILLEGAL_TYPE_OF_ARGUMENT",
    );
}

#[test]
fn integer_functions() {
    check("gcd", &[("UInt8", "12"), ("UInt8", "18")], "UInt16", "6"); // gcd(12, 18)
    check("gcd", &[("Int64", "-12"), ("UInt8", "18")], "Int64", "6");
    check("lcm", &[("UInt8", "4"), ("UInt8", "6")], "UInt16", "12");
    check(
        "gcd",
        &[("UInt8", "1"), ("UInt8", "0")],
        "",
        "ILLEGAL_DIVISION",
    );
    check(
        "gcd",
        &[("Float64", "1.5"), ("UInt8", "2")],
        "",
        "ILLEGAL_TYPE_OF_ARGUMENT",
    );
    check("greatest", &[("UInt8", "1"), ("UInt8", "2")], "UInt8", "2");
    check("greatest", &[("UInt8", "1"), ("Int8", "-2")], "Int16", "1");
    check(
        "greatest",
        &[("UInt8", "1"), ("Float64", "2.5")],
        "Float64",
        "2.5",
    );
    check("greatest", &[("Int8", "1"), ("UInt16", "5")], "Int32", "5");
    check("least", &[("UInt8", "1"), ("Int8", "-2")], "Int16", "-2");
    // greatest(1, NULL) → Nullable(UInt8) 1 ; greatest(toNullable(1), 2) → Nullable(UInt8) 2
    check(
        "greatest",
        &[("UInt8", "1"), ("Nullable(Nothing)", "NULL")],
        "Nullable(UInt8)",
        "1",
    );
    check(
        "greatest",
        &[("Nullable(UInt8)", "1"), ("UInt8", "2")],
        "Nullable(UInt8)",
        "2",
    );
    check(
        "greatest",
        &[("Decimal(9, 2)", "1.5"), ("UInt8", "2")],
        "Decimal(9, 2)",
        "2",
    );
}

#[test]
fn constants_and_random() {
    let f = super::functions()
        .into_iter()
        .find(|f| f.name() == "pi")
        .expect("pi");
    let (t, arr) = call(&f, &[]).expect("pi()");
    assert_eq!(
        (t.to_string(), fmt_value(&arr, 0, &t)),
        ("Float64".into(), "3.141592653589793".into())
    );
    let f = super::functions()
        .into_iter()
        .find(|f| f.name() == "e")
        .expect("e");
    let (_, arr) = call(&f, &[]).expect("e()");
    assert_eq!(fmt_value(&arr, 0, &ChType::Float64), "2.718281828459045");
    // toTypeName(rand()) = UInt32, toTypeName(rand64()) = UInt64
    let rand = super::functions()
        .into_iter()
        .find(|f| f.name() == "rand")
        .expect("rand");
    let col = lit_column(&ChType::UInt8, "1");
    let (t, a) = call(&rand, &[(std::sync::Arc::clone(&col), ChType::UInt8)]).expect("rand");
    assert_eq!(t.to_string(), "UInt32");
    assert_eq!(a.len(), 1);
    let rand64 = super::functions()
        .into_iter()
        .find(|f| f.name() == "rand64")
        .expect("rand64");
    let (t, _) = call(&rand64, &[(col, ChType::UInt8)]).expect("rand64");
    assert_eq!(t.to_string(), "UInt64");
}

/// `roundDown(x, [..])` against ClickHouse (test 00805 and `ch-oracle` expressions).
#[test]
fn round_down() {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, ListArray, UInt8Array};
    use datafusion::arrow::datatypes::{Float64Type, UInt8Type};

    let f = super::functions()
        .into_iter()
        .find(|f| f.name() == "roundDown")
        .expect("roundDown");
    let x: ArrayRef = Arc::new(UInt8Array::from(vec![0u8, 3, 5, 9]));
    // SELECT number AS x, roundDown(x, [6, 5, 4]) → 4 for x ≤ 4, then 5, 6
    let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<UInt8Type, _, _>(
        (0..4).map(|_| Some(vec![Some(6u8), Some(5), Some(4)])),
    ));
    let arr_t = ChType::parse("Array(UInt8)").expect("type");
    let (t, out) = call(&f, &[(Arc::clone(&x), ChType::UInt8), (list, arr_t)]).expect("roundDown");
    assert_eq!(t.to_string(), "UInt8");
    let got: Vec<String> = (0..4).map(|i| fmt_value(&out, i, &t)).collect();
    assert_eq!(got, vec!["4", "4", "5", "6"]);
    // roundDown(toUInt8(3), [-1.5, e(), pi(), 5.5]) → Float64 2.718281828459045
    let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Float64Type, _, _>(
        (0..4).map(|_| {
            Some(vec![
                Some(-1.5),
                Some(std::f64::consts::E),
                Some(std::f64::consts::PI),
                Some(5.5),
            ])
        }),
    ));
    let arr_t = ChType::parse("Array(Float64)").expect("type");
    let (t, out) = call(&f, &[(x, ChType::UInt8), (list, arr_t)]).expect("roundDown");
    assert_eq!(t.to_string(), "Float64");
    let got: Vec<String> = (0..4).map(|i| fmt_value(&out, i, &t)).collect();
    assert_eq!(
        got,
        vec!["-1.5", "2.718281828459045", "3.141592653589793", "5.5"]
    );
    // roundDown(number, [number]) → ILLEGAL_COLUMN (not constant)
    let x: ArrayRef = Arc::new(UInt8Array::from(vec![1u8, 2]));
    let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<UInt8Type, _, _>(vec![
        Some(vec![Some(1u8)]),
        Some(vec![Some(2u8)]),
    ]));
    let err = call(
        &f,
        &[
            (x, ChType::UInt8),
            (list, ChType::parse("Array(UInt8)").expect("t")),
        ],
    )
    .expect_err("non-constant");
    assert!(err.to_string().contains("constant"), "{err}");
}
