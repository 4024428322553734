//! End-to-end tests of the conversion UDFs; every expected value and type name comes from
//! the ClickHouse oracle (`ch-oracle -q "SELECT …"`), the error codes from its exceptions.

use datafusion::common::ScalarValue;
use sluice_common::{ChType, ErrorCode};

use crate::datetime::testutil::{Arg, call, column, err, f, i, null, one, s, type_of, typed};

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn integers() {
    // SELECT toUInt8(256), toUInt8(-1), toInt8(128), toInt8('127'), toUInt8(true)
    assert_eq!(one("toUInt8", vec![i(256)]), "0");
    assert_eq!(one("toUInt8", vec![i(-1)]), "255");
    assert_eq!(one("toInt8", vec![i(128)]), "-128");
    assert_eq!(one("toInt8", vec![s("127")]), "127");
    assert_eq!(type_of("toUInt8", vec![i(256)]), "UInt8");
    // toUInt8(300.7) → 44, toUInt64(-1.0) → 18446744073709551615
    assert_eq!(one("toUInt8", vec![f(300.7)]), "44");
    assert_eq!(one("toUInt64", vec![f(-1.0)]), "18446744073709551615");
    // toInt256('-5'), toUInt256(-1)
    assert_eq!(one("toInt256", vec![s("-5")]), "-5");
    assert_eq!(type_of("toInt256", vec![i(1)]), "Int256");
    // toUInt256(-1) is 2^256-1; its bits wrap back to 255 in toUInt8.
    let big = call("toUInt256", vec![i(-1)]).map(|r| r.0);
    assert_eq!(big, Ok("UInt256".to_string()));
    assert_eq!(
        one(
            "toUInt128",
            vec![s("340282366920938463463374607431768211455")]
        ),
        "340282366920938463463374607431768211455"
    );
    // Errors: 'abc' → 6, '-1' as UInt8 → 72, '' → 32, nan → 70.
    assert_eq!(err("toUInt8", vec![s("abc")]), ErrorCode::CANNOT_PARSE_TEXT);
    assert_eq!(
        err("toUInt8", vec![s("-1")]),
        ErrorCode::CANNOT_PARSE_NUMBER
    );
    assert_eq!(
        err("toUInt8", vec![s("")]),
        ErrorCode::ATTEMPT_TO_READ_AFTER_EOF
    );
    assert_eq!(
        err("toInt64", vec![f(f64::NAN)]),
        ErrorCode::CANNOT_CONVERT_TYPE
    );
    // toUInt8(toLowCardinality('7')) → 7 of type LowCardinality(UInt8)
    let lc = column("LowCardinality(String)", &[Some("7")]);
    assert_eq!(
        call("toUInt8", vec![lc]),
        Ok(("LowCardinality(UInt8)".into(), strs(&["7"])))
    );
    let lc = column("LowCardinality(String)", &[Some("7")]);
    assert_eq!(
        call("_CAST", vec![lc, s("UInt8")]).map(|r| r.0),
        Ok("UInt8".to_string())
    );
    let lc = column("LowCardinality(String)", &[Some("a")]);
    assert_eq!(
        call("toString", vec![lc]),
        Ok(("LowCardinality(String)".into(), strs(&["a"])))
    );
    // toUInt8(NULL) → NULL of type Nullable(Nothing)
    assert_eq!(
        call("toUInt8", vec![null()]),
        Ok(("Nullable(Nothing)".into(), strs(&["\\N"])))
    );
}

#[test]
fn or_zero_or_null_or_default() {
    // 00551_parse_or_null: toUInt64OrZero / toUInt64OrNull over 'hello', '1', NULL.
    let col = column("Nullable(String)", &[Some("hello"), Some("1"), None]);
    assert_eq!(
        call("toUInt64OrZero", vec![col]),
        Ok(("Nullable(UInt64)".into(), strs(&["0", "1", "\\N"])))
    );
    let col = column("Nullable(String)", &[Some("hello"), Some("1"), None]);
    assert_eq!(
        call("toUInt64OrNull", vec![col]),
        Ok(("Nullable(UInt64)".into(), strs(&["\\N", "1", "\\N"])))
    );
    assert_eq!(type_of("toUInt8OrNull", vec![s("1")]), "Nullable(UInt8)");
    // toUInt8OrZero(1.5) → ILLEGAL_TYPE_OF_ARGUMENT
    assert_eq!(
        err("toUInt8OrZero", vec![f(1.5)]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    // toUInt8OrDefault('x'), toUInt8OrDefault('x', 7::UInt8), toDateOrDefault('x'),
    // toUInt8OrDefault(NULL::Nullable(String), 7::UInt8) → 0 7 1970-01-01 7, type UInt8.
    assert_eq!(one("toUInt8OrDefault", vec![s("x")]), "0");
    assert_eq!(
        call("toUInt8OrDefault", vec![s("x"), i(7)]),
        Ok(("UInt8".into(), strs(&["7"])))
    );
    assert_eq!(one("toDateOrDefault", vec![s("x")]), "1970-01-01");
    let col = column("Nullable(String)", &[None, Some("3")]);
    assert_eq!(
        call("toUInt8OrDefault", vec![col, i(7)]),
        Ok(("UInt8".into(), strs(&["7", "3"])))
    );
}

#[test]
fn decimals() {
    // 00700_to_decimal_or_something
    assert_eq!(one("toDecimal32OrZero", vec![s("1.1"), i(1)]), "1.1");
    assert_eq!(one("toDecimal32OrZero", vec![s("1.1"), i(8)]), "1.1");
    assert_eq!(one("toDecimal32OrZero", vec![s("1.1"), i(0)]), "1");
    assert_eq!(
        err("toDecimal32OrZero", vec![f(1.1), i(0)]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    assert_eq!(one("toDecimal128OrZero", vec![s(""), i(0)]), "0");
    assert_eq!(
        one("toDecimal32OrZero", vec![s("999999999"), i(0)]),
        "999999999"
    );
    assert_eq!(one("toDecimal32OrZero", vec![s("1000000000"), i(0)]), "0");
    assert_eq!(
        one("toDecimal64OrZero", vec![s("-1000000000000000000"), i(0)]),
        "0"
    );
    assert_eq!(
        one(
            "toDecimal128OrZero",
            vec![s("-99999999999999999999999999999999999999"), i(0)]
        ),
        "-99999999999999999999999999999999999999"
    );
    assert_eq!(one("toDecimal32OrNull", vec![s("-0.42"), i(4)]), "-0.42");
    assert_eq!(one("toDecimal32OrNull", vec![s("1000000000"), i(0)]), "\\N");
    assert_eq!(
        type_of("toDecimal32OrNull", vec![s("1"), i(2)]),
        "Nullable(Decimal(9, 2))"
    );
    // toDecimal32(1.5, 2), toDecimal32('1.555', 2), toDecimal32(-1.555, 2) → 1.5 1.55 -1.55
    assert_eq!(one("toDecimal32", vec![f(1.5), i(2)]), "1.5");
    assert_eq!(one("toDecimal32", vec![s("1.555"), i(2)]), "1.55");
    assert_eq!(one("toDecimal32", vec![f(-1.555), i(2)]), "-1.55");
    assert_eq!(type_of("toDecimal32", vec![f(1.5), i(2)]), "Decimal(9, 2)");
    assert_eq!(
        err("toDecimal32", vec![f(1e10), i(2)]),
        ErrorCode::DECIMAL_OVERFLOW
    );
    assert_eq!(
        err("toDecimal128", vec![i(1), i(40)]),
        ErrorCode::ARGUMENT_OUT_OF_BOUND
    );
    assert_eq!(
        err("toDecimal32", vec![s("abc"), i(2)]),
        ErrorCode::CANNOT_PARSE_TEXT
    );
}

#[test]
fn casts() {
    // 00642_cast: CAST(1 AS Enum8('hello' = 1, 'world' = 2)) → hello
    let e = "Enum8('hello' = 1, 'world' = 2)";
    assert_eq!(one("_CAST", vec![i(1), s(e)]), "hello");
    assert_eq!(
        one("CAST", vec![i(1), s("Enum8('hello' = 1,\n\t'world' = 2)")]),
        "hello"
    );
    assert_eq!(type_of("_CAST", vec![i(1), s(e)]), e);
    assert_eq!(
        err("_CAST", vec![s("x"), s("Enum8('a' = 1)")]),
        ErrorCode(691)
    );
    assert_eq!(
        err("_CAST", vec![i(3), s("Enum8('a' = 1)")]),
        ErrorCode(691)
    );
    // CAST(NULL AS UInt8) → CANNOT_CONVERT_TYPE; CAST(toNullable(1) AS UInt8) → 1 UInt8.
    assert_eq!(
        err("_CAST", vec![null(), s("UInt8")]),
        ErrorCode::CANNOT_CONVERT_TYPE
    );
    let n = column("Nullable(UInt8)", &[Some("1")]);
    assert_eq!(
        call("_CAST", vec![n, s("UInt8")]),
        Ok(("UInt8".into(), strs(&["1"])))
    );
    let n = column("Nullable(UInt8)", &[Some("1"), None]);
    assert_eq!(
        call("_CAST", vec![n, s("UInt8")]),
        Err(ErrorCode::CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN)
    );
    // CAST([1,2,300] AS Array(UInt8)) → [1,2,44]; CAST(map('a', 1) AS Map(String, String)).
    let arr = typed("[1,2,300]", "Array(UInt16)");
    assert_eq!(
        call("_CAST", vec![arr, s("Array(UInt8)")]),
        Ok(("Array(UInt8)".into(), strs(&["[1,2,44]"])))
    );
    let tup = typed("(1,'a')", "Tuple(UInt8, String)");
    assert_eq!(
        one("_CAST", vec![tup, s("Tuple(String, String)")]),
        "('1','a')"
    );
    let m = typed("{'a':1}", "Map(String, UInt8)");
    assert_eq!(one("_CAST", vec![m, s("Map(String, String)")]), "{'a':'1'}");
    // toTimeZone(CAST(1 AS TIMESTAMP), 'UTC') → 1970-01-01 00:00:01
    assert_eq!(
        one("_CAST", vec![i(1), s("TIMESTAMP")]),
        "1970-01-01 00:00:01"
    );
    // CAST('abc' AS FixedString(2)) → TOO_LARGE_STRING_SIZE
    assert_eq!(
        err("_CAST", vec![s("abc"), s("FixedString(2)")]),
        ErrorCode::TOO_LARGE_STRING_SIZE
    );
    assert_eq!(err("_CAST", vec![i(1), s("Foo")]), ErrorCode::UNKNOWN_TYPE);
}

#[test]
fn accurate_casts() {
    // 01601_accurate_cast
    assert_eq!(
        err("accurateCast", vec![i(-1), s("UInt8")]),
        ErrorCode::CANNOT_CONVERT_TYPE
    );
    assert_eq!(one("accurateCast", vec![i(5), s("UInt8")]), "5");
    assert_eq!(
        err("accurateCast", vec![i(257), s("UInt8")]),
        ErrorCode::CANNOT_CONVERT_TYPE
    );
    assert_eq!(
        err("accurateCast", vec![s("257"), s("UInt8")]),
        ErrorCode::CANNOT_PARSE_TEXT
    );
    assert_eq!(
        err("accurateCast", vec![i(10), s("Decimal32(9)")]),
        ErrorCode::DECIMAL_OVERFLOW
    );
    assert_eq!(one("accurateCast", vec![i(1), s("Decimal32(9)")]), "1");
    assert_eq!(
        err("accurateCast", vec![s("123"), s("FixedString(2)")]),
        ErrorCode::TOO_LARGE_STRING_SIZE
    );
    assert_eq!(
        err("accurateCast", vec![i(-1), s("DateTime")]),
        ErrorCode::CANNOT_CONVERT_TYPE
    );
    assert_eq!(
        err("accurateCast", vec![s("1xxx"), s("DateTime")]),
        ErrorCode::CANNOT_PARSE_DATETIME
    );
    assert_eq!(
        one(
            "accurateCast",
            vec![s("2023-05-30 14:38:20"), s("DateTime")]
        ),
        "2023-05-30 14:38:20"
    );
    assert_eq!(
        err("accurateCast", vec![s("1xxx"), s("Date")]),
        ErrorCode::CANNOT_PARSE_DATE
    );
    assert_eq!(one("accurateCast", vec![i(19), s("Date")]), "1970-01-20");
    assert_eq!(
        err("accurateCast", vec![s("truex"), s("Bool")]),
        ErrorCode::CANNOT_PARSE_BOOL
    );
    assert_eq!(one("accurateCast", vec![s("true"), s("Bool")]), "true");
    assert_eq!(one("accurateCast", vec![i(0), s("Bool")]), "false");
    assert_eq!(
        one("accurateCast", vec![s("test"), s("Nullable(IPv4)")]),
        "\\N"
    );
    assert_eq!(
        err("accurateCast", vec![s("::ffff:192.0.2.1"), s("IPv4")]),
        ErrorCode::CANNOT_PARSE_IPV4
    );
    assert_eq!(
        one("accurateCast", vec![s("192.0.2.1"), s("IPv6")]),
        "::ffff:192.0.2.1"
    );
    assert_eq!(
        err("accurateCast", vec![s("2001:db8::1x"), s("IPv6")]),
        ErrorCode::CANNOT_PARSE_IPV6
    );
    // 01556_accurate_cast_or_null
    assert_eq!(one("accurateCastOrNull", vec![i(-1), s("UInt8")]), "\\N");
    assert_eq!(
        one("accurateCastOrNull", vec![i(65536), s("UInt16")]),
        "\\N"
    );
    assert_eq!(one("accurateCastOrNull", vec![i(-1), s("UInt256")]), "\\N");
    assert_eq!(one("accurateCastOrNull", vec![i(5), s("UInt256")]), "5");
    assert_eq!(
        one("accurateCastOrNull", vec![f(f64::INFINITY), s("Int64")]),
        "\\N"
    );
    assert_eq!(
        one("accurateCastOrNull", vec![f(f64::NAN), s("UInt256")]),
        "\\N"
    );
    assert_eq!(
        one("accurateCastOrNull", vec![i(5_000_000_000), s("DateTime")]),
        "\\N"
    );
    assert_eq!(
        one(
            "accurateCastOrNull",
            vec![s("1965-05-30 14:38:20"), s("DateTime")]
        ),
        "1970-01-01 00:00:00"
    );
    assert_eq!(
        one(
            "accurateCastOrNull",
            vec![s("2223-05-30 14:38:20"), s("DateTime")]
        ),
        "2106-02-07 06:28:15"
    );
    assert_eq!(
        one("accurateCastOrNull", vec![s("2180-01-01"), s("Date")]),
        "2149-06-06"
    );
    assert_eq!(
        one("accurateCastOrNull", vec![s("xfalse"), s("Bool")]),
        "\\N"
    );
    assert_eq!(
        type_of("accurateCastOrNull", vec![i(1), s("UInt8")]),
        "Nullable(UInt8)"
    );
    let col = Arg::Col(
        ChType::UInt64,
        std::sync::Arc::new(datafusion::arrow::array::UInt64Array::from(vec![
            127u64, 128,
        ])),
    );
    assert_eq!(
        call("accurateCastOrNull", vec![col, s("Int8")]),
        Ok(("Nullable(Int8)".into(), strs(&["127", "\\N"])))
    );
}

#[test]
fn dates_and_times() {
    // toDate(65535), toDate(65536), toDate(100000), toDate(-1), toDate(1.5)
    assert_eq!(one("toDate", vec![i(65535)]), "2149-06-06");
    assert_eq!(one("toDate", vec![i(65536)]), "1970-01-01");
    assert_eq!(one("toDate", vec![i(100000)]), "1970-01-02");
    assert_eq!(one("toDate", vec![i(-1)]), "1970-01-01");
    assert_eq!(one("toDate", vec![f(1.5)]), "1970-01-02");
    // toDate('2020-02-30') → 2020-03-01; toDate('2020-13-01') → 1970-01-01; '2200-01-01' → 2149-06-06
    assert_eq!(one("toDate", vec![s("2020-02-30")]), "2020-03-01");
    assert_eq!(one("toDate", vec![s("2020-13-01")]), "1970-01-01");
    assert_eq!(one("toDate", vec![s("2200-01-01")]), "2149-06-06");
    assert_eq!(one("toDate32", vec![s("1899-01-01")]), "1899-01-01");
    assert_eq!(err("toDate", vec![s("abc")]), ErrorCode::CANNOT_PARSE_DATE);
    // toDateTime(1.9), toDateTime(-1), toDateTime(5000000000), toDateTime('2020-01-01')
    assert_eq!(one("toDateTime", vec![f(1.9)]), "1970-01-01 00:00:01");
    assert_eq!(one("toDateTime", vec![i(-1)]), "1970-01-01 00:00:00");
    assert_eq!(
        one("toDateTime", vec![i(5_000_000_000)]),
        "2106-02-07 06:28:15"
    );
    assert_eq!(
        one("toDateTime", vec![s("2020-01-01")]),
        "2020-01-01 00:00:00"
    );
    assert_eq!(
        one("toDateTime", vec![s("2020-01-05 12:00:00+03:00")]),
        "2020-01-05 09:00:00"
    );
    assert_eq!(
        err("toDateTime", vec![s("abc")]),
        ErrorCode::CANNOT_PARSE_DATETIME
    );
    assert_eq!(
        type_of("toDateTime", vec![s("2020-01-01"), s("Asia/Tokyo")]),
        "DateTime('Asia/Tokyo')"
    );
    assert_eq!(
        err("toDateTime", vec![s("2020-01-01"), s("")]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    // toDateTime(toDate('2020-01-01'), 'Asia/Tokyo') and its Unix timestamp 1577804400
    let d = typed("2020-01-01", "Date");
    assert_eq!(
        one("toDateTime", vec![d, s("Asia/Tokyo")]),
        "2020-01-01 00:00:00"
    );
    // toDate(toDateTime('2020-01-01 20:00:00', 'UTC'), 'Asia/Tokyo') → 2020-01-02
    let dt = typed("2020-01-01 20:00:00", "DateTime('UTC')");
    assert_eq!(one("toDate", vec![dt, s("Asia/Tokyo")]), "2020-01-02");
    // toDateTime64(1.5, 3), toDateTime64('2020-01-01 00:00:00.123456', 2), toDateTime64(-1.5, 3)
    assert_eq!(
        one("toDateTime64", vec![f(1.5), i(3)]),
        "1970-01-01 00:00:01.500"
    );
    assert_eq!(
        one("toDateTime64", vec![s("2020-01-01 00:00:00.123456"), i(2)]),
        "2020-01-01 00:00:00.12"
    );
    assert_eq!(
        one("toDateTime64", vec![f(-1.5), i(3)]),
        "1969-12-31 23:59:58.500"
    );
    assert_eq!(
        type_of("toDateTime64", vec![s("2020-01-01"), i(2)]),
        "DateTime64(2)"
    );
    // toInt64(toDateTime64('2020-01-01 00:00:00.5', 3)) → 1577836800, toFloat64 → 1577836800.5
    let t = typed("2020-01-01 00:00:00.5", "DateTime64(3)");
    assert_eq!(one("toInt64", vec![t]), "1577836800");
    let t = typed("2020-01-01 00:00:00.5", "DateTime64(3)");
    assert_eq!(one("toFloat64", vec![t]), "1577836800.5");
    // toDate(toDate32('1950-01-01')) → 2129-06-07
    let d = typed("1950-01-01", "Date32");
    assert_eq!(one("toDate", vec![d]), "2129-06-07");
}

#[test]
fn strings_and_ids() {
    // toString(1.5), toString([1,2]), toString((1,'a')), toString(toDecimal32(1.5, 2)), toString(true)
    assert_eq!(one("toString", vec![f(1.5)]), "1.5");
    assert_eq!(
        one("toString", vec![typed("[1,2]", "Array(UInt8)")]),
        "[1,2]"
    );
    assert_eq!(
        one("toString", vec![typed("(1,'a')", "Tuple(UInt8, String)")]),
        "(1,\\'a\\')"
    );
    assert_eq!(one("toString", vec![typed("1.5", "Decimal(9, 2)")]), "1.5");
    assert_eq!(one("toString", vec![typed("true", "Bool")]), "true");
    assert_eq!(
        type_of(
            "toString",
            vec![Arg::Const(
                ChType::Nullable(Box::new(ChType::UInt8)),
                ScalarValue::UInt8(Some(1))
            )]
        ),
        "Nullable(String)"
    );
    // toString(toDateTime('2020-01-01 00:00:00', 'UTC'), 'Asia/Tokyo') → 2020-01-01 09:00:00
    let dt = typed("2020-01-01 00:00:00", "DateTime('UTC')");
    assert_eq!(
        one("toString", vec![dt, s("Asia/Tokyo")]),
        "2020-01-01 09:00:00"
    );
    // toFixedString('abc', 2) → 131; toTypeName(toFixedString('a', 3)) → FixedString(3)
    assert_eq!(
        err("toFixedString", vec![s("abc"), i(2)]),
        ErrorCode::TOO_LARGE_STRING_SIZE
    );
    assert_eq!(
        type_of("toFixedString", vec![s("a"), i(3)]),
        "FixedString(3)"
    );
    // toUUID, toIPv6('192.0.2.1'), toIPv4('1.2.3.4'), toBool('Yes'), toBool('off'), toBool(2)
    assert_eq!(
        one("toUUID", vec![s("61f0c4045cb311e7907ba6006ad3dba0")]),
        "61f0c404-5cb3-11e7-907b-a6006ad3dba0"
    );
    assert_eq!(err("toUUID", vec![s("abc")]), ErrorCode::CANNOT_PARSE_UUID);
    assert_eq!(one("toIPv6", vec![s("192.0.2.1")]), "::ffff:192.0.2.1");
    assert_eq!(one("toIPv4", vec![s("1.2.3.4")]), "1.2.3.4");
    assert_eq!(one("toBool", vec![s("Yes")]), "true");
    assert_eq!(one("toBool", vec![s("off")]), "false");
    assert_eq!(one("toBool", vec![i(2)]), "true");
    // toLowCardinality('a') → LowCardinality(String); toLowCardinality(toNullable('a'))
    assert_eq!(
        call("toLowCardinality", vec![s("a")]),
        Ok(("LowCardinality(String)".into(), strs(&["a"])))
    );
    let n = Arg::Const(
        ChType::Nullable(Box::new(ChType::String)),
        ScalarValue::Utf8(Some("a".into())),
    );
    assert_eq!(
        type_of("toLowCardinality", vec![n]),
        "LowCardinality(Nullable(String))"
    );
    assert_eq!(type_of("toNullable", vec![i(1)]), "Nullable(UInt8)");
    // reinterpretAsUInt32('abcd') → 1684234849, reinterpretAsString(65) → A
    assert_eq!(one("reinterpretAsUInt32", vec![s("abcd")]), "1684234849");
    assert_eq!(one("reinterpretAsString", vec![i(65)]), "A");
}

#[test]
fn best_effort() {
    // 01313_parse_date_time_best_effort_null_zero
    assert_eq!(
        err("parseDateTimeBestEffort", vec![s("<Empty>")]),
        ErrorCode::CANNOT_PARSE_DATETIME
    );
    assert_eq!(
        one("parseDateTimeBestEffortOrNull", vec![s("<Empty>")]),
        "\\N"
    );
    assert_eq!(
        one(
            "parseDateTimeBestEffortOrZero",
            vec![s("<Empty>"), s("UTC")]
        ),
        "1970-01-01 00:00:00"
    );
    assert_eq!(
        err("parseDateTime64BestEffort", vec![s("<Empty>")]),
        ErrorCode::CANNOT_PARSE_DATETIME
    );
    assert_eq!(
        one("parseDateTime64BestEffortOrNull", vec![s("<Empty>")]),
        "\\N"
    );
    assert_eq!(
        one(
            "parseDateTime64BestEffortOrZero",
            vec![s("<Empty>"), i(0), s("UTC")]
        ),
        "1970-01-01 00:00:00"
    );
    assert_eq!(one("toDateTimeOrNull", vec![s("<Empty>")]), "\\N");
    assert_eq!(
        one("toDateTimeOrZero", vec![s("<Empty>"), s("UTC")]),
        "1970-01-01 00:00:00"
    );
    // Formats and types.
    assert_eq!(
        one(
            "parseDateTimeBestEffort",
            vec![s("2020-01-05T10:00:00.123+03:00")]
        ),
        "2020-01-05 07:00:00"
    );
    assert_eq!(
        one("parseDateTimeBestEffortUS", vec![s("05/01/2020")]),
        "2020-05-01 00:00:00"
    );
    assert_eq!(
        type_of("parseDateTimeBestEffort", vec![s("2020-01-05"), s("UTC")]),
        "DateTime('UTC')"
    );
    assert_eq!(
        type_of("parseDateTime64BestEffort", vec![s("2020-01-05")]),
        "DateTime64(3)"
    );
    assert_eq!(
        one(
            "parseDateTime64BestEffort",
            vec![s("2020-01-05 10:00:00.123456")]
        ),
        "2020-01-05 10:00:00.123"
    );
    assert_eq!(
        type_of("parseDateTime64BestEffortOrNull", vec![s("x"), i(6)]),
        "Nullable(DateTime64(6))"
    );
}
