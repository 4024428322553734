//! End-to-end tests of the JSON functions through DataFusion (SQL → optimizer → UDFs).
//!
//! Every expected value comes from ClickHouse 26.9 (`ch-oracle`) or from ClickHouse's own
//! test references (00918_json_functions, 00539, 02013, 02474). DataFusion does not
//! interpret backslash escapes in string literals, so `'{"a":"\n"}'` here is the JSON text
//! the oracle saw as `'{"a":"\\n"}'`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use sluice_common::ChType;

fn ctx() -> SessionContext {
    let mut cfg = SessionConfig::new().with_target_partitions(1);
    cfg.options_mut().sql_parser.enable_ident_normalization = false;
    let ctx = SessionContext::new_with_config(cfg);
    // DataFusion lower-cases unquoted function names; the engine maps them back to
    // ClickHouse's names, here lower-case aliases do.
    for f in super::functions() {
        let mut names: Vec<String> = f.aliases().to_vec();
        names.push(f.name().to_string());
        let lower: Vec<&'static str> = names
            .iter()
            .map(|n| &*Box::leak(n.to_lowercase().into_boxed_str()))
            .collect();
        ctx.register_udf(f.with_aliases(lower));
    }
    ctx
}

fn run(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let df = ctx.sql(sql).await.map_err(|e| e.to_string())?;
        df.collect().await.map_err(|e| e.to_string())
    })
}

/// Rows of the first column, formatted (NULL as `\N`).
fn col(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let batches = match run(ctx, sql) {
        Ok(b) => b,
        Err(e) => return vec![format!("ERROR {e}")],
    };
    let opts = FormatOptions::default().with_null("\\N");
    let mut out = Vec::new();
    for b in batches {
        let Ok(f) = ArrayFormatter::try_new(b.column(0).as_ref(), &opts) else {
            return vec!["ERROR format".into()];
        };
        for i in 0..b.num_rows() {
            out.push(f.value(i).to_string());
        }
    }
    out
}

fn one(expr: &str) -> String {
    col(&ctx(), &format!("SELECT {expr}")).join("|")
}

/// ClickHouse type of `expr` evaluated over a one-row table `t(p String)` holding `{}`
/// (a column, so that constant folding does not hide nullability).
fn result_type(expr: &str) -> String {
    let ctx = ctx();
    table(&ctx, "t", vec![Some("{}")], false);
    let r = run(&ctx, &format!("SELECT {expr} AS x FROM t"));
    match r {
        Ok(b) => b
            .first()
            .map(|b| ChType::from_field(b.schema().field(0)).to_string())
            .unwrap_or_default(),
        Err(e) => format!("ERROR {e}"),
    }
}

const DOC: &str = r#"'{"a": "hello", "b": [-100, 200.0, 300]}'"#;

#[test]
fn clickhouse_00918_basics() {
    assert_eq!(one(&format!("JSONLength({DOC})")), "2");
    assert_eq!(one(&format!("JSONLength({DOC}, 'b')")), "3");
    assert_eq!(one("JSONLength('{}')"), "0");
    assert_eq!(one(&format!("JSONHas({DOC}, 'a')")), "1");
    assert_eq!(one(&format!("JSONHas({DOC}, 'c')")), "0");
    assert_eq!(one(&format!("isValidJSON({DOC})")), "1");
    assert_eq!(one("isValidJSON('not a json')"), "0");
    assert_eq!(one("isValidJSON('\"HX-=')"), "0");
    assert_eq!(one(&format!("JSONKey({DOC}, 1)")), "a");
    assert_eq!(one(&format!("JSONKey({DOC}, -1)")), "b");
    assert_eq!(one(&format!("JSONKey({DOC}, -2)")), "a");
    assert_eq!(one(&format!("JSONType({DOC})")), "Object");
    assert_eq!(one(&format!("JSONType({DOC}, 'b')")), "Array");
    assert_eq!(one(&format!("JSONExtractInt({DOC}, 'b', 1)")), "-100");
    assert_eq!(one(&format!("JSONExtractFloat({DOC}, 'b', 2)")), "200.0");
    assert_eq!(one(&format!("JSONExtractUInt({DOC}, 'b', -1)")), "300");
    assert_eq!(one("JSONExtractBool('{\"passed\": true}', 'passed')"), "1");
    assert_eq!(one("JSONExtractBool('\"HX-=')"), "0");
    assert_eq!(one(&format!("JSONExtractString({DOC}, 'a')")), "hello");
    assert_eq!(one(&format!("JSONExtractString({DOC}, 1)")), "hello");
    assert_eq!(one(r#"JSONExtractString('{"abc":"\u263a"}', 'abc')"#), "☺");
    assert_eq!(one(r#"JSONExtractString('{"abc":"\u263"}', 'abc')"#), "");
    assert_eq!(one(r#"JSONExtractString('{"abc":"hello}', 'abc')"#), "");
    assert_eq!(
        one(r#"length(JSONExtractString('{"abc":"\n\u0000"}', 'abc'))"#),
        "2"
    );
}

#[test]
fn clickhouse_00918_raw_and_arrays() {
    assert_eq!(
        one(&format!("JSONExtractRaw({DOC})")),
        r#"{"a":"hello","b":[-100,200,300]}"#
    );
    assert_eq!(one(&format!("JSONExtractRaw({DOC}, 'a')")), r#""hello""#);
    assert_eq!(one(&format!("JSONExtractRaw({DOC}, 'b', 1)")), "-100");
    let c = r#"'{"a": "hello", "b": [-100, 200.0, 300], "c":{"d":[121,144]}}'"#;
    assert_eq!(
        one(&format!("JSONExtractRaw({c}, 'c')")),
        r#"{"d":[121,144]}"#
    );
    assert_eq!(one(&format!("JSONExtractRaw({c}, 'c', 'd', 2)")), "144");
    assert_eq!(one(&format!("JSONExtractRaw({c}, 'c', 'd', 3)")), "");
    assert_eq!(one("JSONExtractRaw('{}')"), "{}");
    assert_eq!(
        one(r#"JSONExtractRaw('{"abc":"\n\u0000"}', 'abc')"#),
        r#""\n\u0000""#
    );
    assert_eq!(
        one(r#"JSONExtractRaw('{"abc":"\u263a"}', 'abc')"#),
        r#""☺""#
    );
    assert_eq!(one("JSONExtractArrayRaw('')"), "[]");
    assert_eq!(one("JSONExtractArrayRaw('[[],[]]')"), "[[], []]");
    assert_eq!(
        one(&format!("JSONExtractArrayRaw({DOC}, 'b')")),
        "[-100, 200, 300]"
    );
    assert_eq!(
        one("JSONExtractArrayRaw('[1,2,3,4,5,\"hello\"]')"),
        r#"[1, 2, 3, 4, 5, "hello"]"#
    );
    assert_eq!(
        one(&format!("JSONExtractKeysAndValuesRaw({DOC}, 'a')")),
        "[]"
    );
    assert_eq!(
        one(&format!("JSONExtractKeysAndValuesRaw({c})")),
        r#"[{c0: a, c1: "hello"}, {c0: b, c1: [-100,200,300]}, {c0: c, c1: {"d":[121,144]}}]"#
            .replace("c0", "1")
            .replace("c1", "2")
    );
    assert_eq!(one(&format!("JSONExtractKeys({c})")), "[a, b, c]");
    assert_eq!(one(&format!("JSONExtractKeys({DOC}, 'b')")), "[]");
    assert_eq!(one("JSONExtractKeys('{\"a\":1,\"a\":2}')"), "[a, a]");
}

#[test]
fn clickhouse_00918_generic_extract() {
    assert_eq!(
        one(&format!(
            "JSONExtract({DOC}, 'Tuple(String, Array(Float64))')"
        )),
        "{1: hello, 2: [-100.0, 200.0, 300.0]}"
    );
    assert_eq!(
        one(&format!(
            "JSONExtract({DOC}, 'Tuple(b Array(Float64), a String)')"
        )),
        "{b: [-100.0, 200.0, 300.0], a: hello}"
    );
    assert_eq!(
        one(&format!("JSONExtract({DOC}, 'b', 'Array(Int8)')")),
        "[-100, 0, 0]"
    );
    assert_eq!(
        one(&format!("JSONExtract({DOC}, 'b', 'Array(Nullable(Int8))')")),
        "[-100, \\N, \\N]"
    );
    assert_eq!(
        one(&format!(
            "JSONExtract({DOC}, 'b', 'Array(Nullable(UInt8))')"
        )),
        "[\\N, 200, \\N]"
    );
    assert_eq!(
        one(&format!("JSONExtract({DOC}, 'b', 4, 'Nullable(Int64)')")),
        "\\N"
    );
    assert_eq!(
        one("JSONExtract('{\"passed\": true}', 'passed', 'UInt8')"),
        "1"
    );
    let e = "'Enum8(''Sunday'' = 0, ''Thursday'' = 4, ''Friday'' = 5)'";
    assert_eq!(
        one(&format!(
            "JSONExtract('{{\"day\": \"Thursday\"}}', 'day', {e})"
        )),
        "Thursday"
    );
    assert_eq!(
        one(&format!("JSONExtract('{{\"day\": 5}}', 'day', {e})")),
        "Friday"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":3,\"b\":5,\"c\":7}', 'Tuple(c Int, a Int)')"),
        "{c: 7, a: 3}"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":3,\"b\":5,\"c\":7}', 'Tuple(b Int, d Int)')"),
        "{b: 5, d: 0}"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":3}', 'Tuple(Int, Int)')"),
        "{1: 3, 2: 0}"
    );
    assert_eq!(
        one("JSONExtract('[3,5,7]', 'Tuple(Int, Int)')"),
        "{1: 3, 2: 5}"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":123456, \"b\":3.55}', 'b', 'Decimal(5, 2)')"),
        "3.55"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":3333.6333333333333333333333}', 'a', 'Decimal(20,10)')"),
        "3333.6333333333"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":123456789012345.12}', 'a', 'Decimal(30, 4)')"),
        "123456789012345.1200"
    );
    assert_eq!(
        one("JSONExtract('{\"a\": \"123456\"}', 'a', 'FixedString(5)')"),
        "0000000000"
    );
    assert_eq!(
        one("JSONExtract('{\"a\": 123456}', 'a', 'FixedString(6)')"),
        "313233343536"
    );
    assert_eq!(
        one("JSONExtract('{\"a\": 123456}', 'FixedString(12)')"),
        "7b2261223a3132333435367d"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":1,\"b\":\"x\",\"c\":2}', 'Map(String, UInt32)')"),
        "{a: 1, b: 0, c: 2}"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":1,\"b\":null}', 'Map(String, Nullable(UInt32))')"),
        "{a: 1, b: \\N}"
    );
    assert_eq!(
        one(&format!(
            "JSONExtractKeysAndValues({DOC}, 'Array(Float64)')"
        )),
        "[{1: b, 2: [-100.0, 200.0, 300.0]}]"
    );
    assert_eq!(
        one("JSONExtractKeysAndValues('{\"x\": {\"a\": 5, \"b\": 7, \"c\": 11}}', 'x', 'Int8')"),
        "[{1: a, 2: 5}, {1: b, 2: 7}, {1: c, 2: 11}]"
    );
    assert_eq!(one("JSONExtract('[true]', 1, 'UInt64')"), "1");
    assert_eq!(one("JSONExtract('[-1]', 1, 'Nullable(Bool)')"), "\\N");
    assert_eq!(one("JSONExtract('[2.5]', 1, 'Bool')"), "true");
    assert_eq!(one("JSONExtract('{\"v\":-1e300}', 'v', 'Float32')"), "-inf");
    assert_eq!(
        one("JSONExtract('{\"v\":1.1}', 'v', 'Nullable(UInt64)')"),
        "1"
    );
}

#[test]
fn conversions_match_clickhouse() {
    let cases = [
        ("JSONExtractUInt('{\"a\":\"123\"}','a')", "123"),
        ("JSONExtractUInt('{\"a\":true}','a')", "0"),
        ("JSONExtractUInt('{\"a\":1.9}','a')", "1"),
        ("JSONExtractUInt('{\"a\":-1}','a')", "0"),
        (
            "JSONExtractUInt('{\"a\":18446744073709551615}','a')",
            "18446744073709551615",
        ),
        ("JSONExtractUInt('{\"a\":1e20}','a')", "0"),
        ("JSONExtractUInt('{\"a\":\"1.5\"}','a')", "1"),
        ("JSONExtractInt('{\"a\":18446744073709551615}','a')", "0"),
        ("JSONExtractInt('{\"a\":-1.9}','a')", "-1"),
        ("JSONExtractInt('[\"nan\"]',1)", "-9223372036854775808"),
        ("JSONExtractFloat('{\"a\":\"1e3\"}','a')", "1000.0"),
        ("JSONExtractFloat('{\"a\":true}','a')", "0.0"),
        ("JSONExtractBool('{\"a\":2}','a')", "1"),
        ("JSONExtractBool('{\"a\":-1}','a')", "1"),
        ("JSONExtractBool('{\"a\":1.0}','a')", "0"),
        ("JSONExtractBool('{\"a\":\"1\"}','a')", "0"),
        (
            "JSONExtractString('{\"a\":123456789012345678901234}','a')",
            "123456789012345678901234",
        ),
        ("JSONType('{\"a\":123456789012345678901234}','a')", "String"),
        (
            "JSONExtractRaw('{\"a\":-123456789012345678901234}','a')",
            "\"-123456789012345678901234\"",
        ),
        ("JSONType('18446744073709551615')", "UInt64"),
        ("JSONType('1e2')", "Double"),
        ("JSONType('-0')", "Int64"),
        ("JSONType('x')", "Null"),
        (
            "JSONExtractString('{\"a\":{\"b\" : 1, \"c\":[1, 2,\"x\"]}}', 'a')",
            "{\"b\":1,\"c\":[1,2,\"x\"]}",
        ),
        ("JSONExtractString('{\"a\":true}','a')", "true"),
        ("JSONExtractString('{\"a\":null}','a')", ""),
        ("JSONExtractRaw('{\"a\":null}','a')", "null"),
        ("JSONExtractString('{\"a\":\"x\", \"b\":1E+400}','a')", ""),
        ("JSONExtractString('[\"a\",\"b\"]', 0)", ""),
        ("JSONExtractString('[\"a\",\"b\"]', -2)", "a"),
        ("JSONExtractString('[\"a\",\"b\"]', -3)", ""),
        ("JSONExtractString('{\"x\":\"a\",\"y\":\"b\"}', 2)", "b"),
        ("JSONExtractString('{\"\":\"e\"}', '')", "e"),
        ("JSONExtractString('\"s\"')", "s"),
        ("JSONExtractString('{\"a\":1,\"a\":2}','a')", "1"),
        ("JSONArrayLength('{\"a\":1}')", "\\N"),
        ("JSONArrayLength('[1,2]')", "2"),
        ("JSON_ARRAY_LENGTH('[1,2]')", "2"),
        ("JSONKey('{\"a\":{\"b\":1}}', 'a', 1)", "b"),
        ("JSONKey('{\"a\":1}')", ""),
        (
            "JSONExtractStringCaseInsensitive('{\"ABC\":\"x\"}', 'abc')",
            "x",
        ),
        ("JSONLength('[9]\u{0}')", "0"),
    ];
    for (q, want) in cases {
        assert_eq!(one(q), want, "{q}");
    }
}

#[test]
fn visit_param_matches_clickhouse_00539() {
    let cases = [
        ("visitParamExtractInt('{\"myparam\":-1}', 'myparam')", "-1"),
        ("visitParamExtractUInt('{\"myparam\":-1}', 'myparam')", "0"),
        (
            "visitParamExtractFloat('{\"myparam\":null}', 'myparam')",
            "0.0",
        ),
        (
            "visitParamExtractBool('{\"myparam\":true}', 'myparam')",
            "1",
        ),
        (
            "visitParamExtractString('{\"myparam\":\"test\\\"string\"}', 'myparam')",
            "test\"string",
        ),
        (
            "visitParamExtractRaw('{\"myparam\": \"test\\\"string\", \"other\":123}', 'myparam')",
            " \"test\\\"string\"",
        ),
        (
            "visitParamExtractRaw('{\"myparam\": [\"]\", \"2\", \"3\"], \"other\":123}', 'myparam')",
            " [\"]\", \"2\", \"3\"]",
        ),
        (
            "simpleJSONExtractRaw('{\"myparam\": {\"nested\" : [1,2,3]}, \"other\":123}', 'myparam')",
            " {\"nested\" : [1,2,3]}",
        ),
        ("simpleJSONHas('{\"ab\":1}', 'b')", "0"),
        ("visitParamHas('xx\"a\":', 'a')", "1"),
        ("visitParamExtractUInt('{\"a\":\"x\",\"a\":5}','a')", "0"),
        ("visitParamExtractUInt('{\"b\":{\"a\":3}}','a')", "3"),
    ];
    for (q, want) in cases {
        assert_eq!(one(q), want, "{q}");
    }
}

#[test]
fn jsonpath_matches_clickhouse() {
    let cases = [
        ("JSON_VALUE('{\"a\":{\"b\":\"x\"}}', '$.a.b')", "x"),
        ("JSON_VALUE('{\"a\":{\"b\":1.50}}', '$.a.b')", "1.5"),
        ("JSON_VALUE('{\"a\":{\"b\":null}}', '$.a.b')", "null"),
        ("JSON_VALUE('{\"a\":{\"b\":[1]}}', '$.a.b')", ""),
        ("JSON_VALUE('{\"a\":[1,2,3]}', '$.a[*]')", "1"),
        ("JSON_VALUE('{\"a b\":1}', '$.\"a b\"')", "1"),
        ("JSON_VALUE('{\"a\":{\"b\":2}}', '$[\"a\"][\"b\"]')", "2"),
        (
            "JSON_QUERY('{\"a\":{\"b\" : [1, 2]}}', '$.a')",
            "[{\"b\":[1,2]}]",
        ),
        ("JSON_QUERY('{\"a\":[1,2,3]}', '$.a[*]')", "[1, 2, 3]"),
        ("JSON_QUERY('{\"a\":[1,2,3]}', '$.a[0 to 1]')", "[1]"),
        ("JSON_QUERY('{\"a\":[1,2,3]}', '$.a[0,2]')", "[1, 3]"),
        ("JSON_QUERY('[{\"a\":1},{\"a\":2}]', '$[*].a')", "[1, 2]"),
        ("JSON_QUERY('{\"a\":1}', '$.b')", ""),
        ("JSON_EXISTS('{\"a\":[1]}', '$.a[1]')", "0"),
        ("JSON_EXISTS('{\"a\":null}', '$.a')", "1"),
        ("JSON_EXISTS('bad', '$')", "0"),
    ];
    for (q, want) in cases {
        assert_eq!(one(q), want, "{q}");
    }
    assert!(one("JSON_VALUE('{\"a\":1}', 'a')").contains("Unable to parse JSONPath"));
}

#[test]
fn result_types_match_clickhouse() {
    assert_eq!(result_type("JSONHas('{}','a')"), "UInt8");
    assert_eq!(result_type("JSONLength('{}')"), "UInt64");
    assert_eq!(
        result_type("JSONType('{}')"),
        "Enum8('Null' = 0, 'String' = 34, 'Array' = 91, 'Bool' = 98, 'Double' = 100, 'Int64' = 105, 'UInt64' = 117, 'Object' = 123)"
    );
    assert_eq!(result_type("JSONArrayLength(p)"), "Nullable(UInt64)");
    assert_eq!(
        result_type("JSONExtractKeysAndValuesRaw('{}')"),
        "Array(Tuple(String, String))"
    );
    assert_eq!(
        result_type("JSONExtractKeysAndValues('{}', 'UInt8')"),
        "Array(Tuple(String, UInt8))"
    );
    assert_eq!(
        result_type("JSONExtract(NULL, 'a', 'String')"),
        "Nullable(Nothing)"
    );
    assert_eq!(
        result_type("JSONExtract('{}', 'a', 'LowCardinality(String)')"),
        "LowCardinality(String)"
    );
    assert_eq!(result_type("visitParamExtractInt('{}','a')"), "Int64");
    assert_eq!(result_type("JSON_EXISTS('{}','$.a')"), "UInt8");
    assert!(result_type("JSONExtractString(1, 'a')").contains("illegal type"));
    assert!(
        result_type("JSONExtractString('{\"a\":1}', 1.5)")
            .contains("should be a string specifying key")
    );
    assert!(result_type("JSONExtract('{\"a\":1}')").contains("requires at least two arguments"));
    assert!(result_type("isValidJSON('{}', 'a')").contains("needs exactly one argument"));
    assert!(result_type("JSONExtract('{}', 'a', 'Foo')").contains("Foo"));
}

fn table(ctx: &SessionContext, name: &str, rows: Vec<Option<&str>>, nullable: bool) {
    let schema = Arc::new(Schema::new(vec![Field::new("p", DataType::Utf8, nullable)]));
    let a: ArrayRef = Arc::new(StringArray::from(rows));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![a]).map_err(|e| e.to_string());
    let Ok(batch) = batch else { panic!("batch") };
    let Ok(t) = MemTable::try_new(schema, vec![vec![batch]]) else {
        panic!("table")
    };
    let _ = ctx.register_table(name, Arc::new(t));
}

const NESTED_ROWS: [&str; 11] = [
    r#"{"after":{"id":7,"x":1.0,"n":{"k":"v"}}}"#,
    r#"{"after":"{\"id\":8,\"x\":2}"}"#,
    r#"{"after":null}"#,
    r#"{"before":1}"#,
    r#"{"after":{"id":9,"x":1e20}}"#,
    r#"{"after":{"id":"10","x":12345678901234567890123}}"#,
    r#"{"after":[1,2]}"#,
    r#"{"after":5}"#,
    "bad",
    r#"{"after":{"id":11,"x":[1.5,2]}}"#,
    r#"{"after":{"n":"{\"k\":\"w\"}"}}"#,
];

/// Nested calls (rewritten into multi-level paths) give exactly what ClickHouse's nested
/// calls give, including strings holding JSON, doubles, big integers and non-objects.
#[test]
fn nested_calls_match_clickhouse() {
    let ctx = ctx();
    table(
        &ctx,
        "t",
        NESTED_ROWS.iter().map(|s| Some(*s)).collect(),
        false,
    );
    let q = |e: &str| col(&ctx, &format!("SELECT {e} FROM t"));
    assert_eq!(
        q("JSONExtractUInt(JSONExtractString(p, 'after'), 'id')"),
        ["7", "8", "0", "0", "9", "10", "0", "0", "0", "11", "0"]
    );
    assert_eq!(
        q("JSONType(JSONExtractString(p, 'after'), 'x')"),
        [
            "Int64", "Int64", "Null", "Null", "String", "String", "Null", "Null", "Null", "Array",
            "Null"
        ]
    );
    assert_eq!(
        q("JSONExtractRaw(JSONExtractString(p, 'after'), 'x')"),
        [
            "1",
            "2",
            "",
            "",
            "\"100000000000000000000\"",
            "\"12345678901234567890123\"",
            "",
            "",
            "",
            "[1.5,2]",
            ""
        ]
    );
    assert_eq!(
        q("JSONExtractString(JSONExtractString(p, 'after'), 'x')"),
        [
            "1",
            "2",
            "",
            "",
            "100000000000000000000",
            "12345678901234567890123",
            "",
            "",
            "",
            "[1.5,2]",
            ""
        ]
    );
    assert_eq!(
        q("JSONHas(JSONExtractString(p, 'after'))"),
        ["1", "1", "0", "0", "1", "1", "1", "1", "0", "1", "1"]
    );
    assert_eq!(
        q("JSONLength(JSONExtractString(p, 'after'))"),
        ["3", "2", "0", "0", "2", "2", "2", "0", "0", "2", "1"]
    );
    assert_eq!(
        q("JSONExtract(JSONExtractString(p, 'after'), 'x', 'Nullable(Int64)')"),
        [
            "1", "2", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N", "\\N"
        ]
    );
    assert_eq!(
        q("JSONExtractString(JSONExtractString(JSONExtractString(p, 'after'), 'n'), 'k')"),
        ["v", "", "", "", "", "", "", "", "", "", "w"]
    );
}

/// The optimizer turns the seed view's nested calls into single calls on the payload.
#[test]
fn nested_calls_are_rewritten() {
    let ctx = ctx();
    table(&ctx, "t", vec![Some("{}")], false);
    let rt = tokio::runtime::Builder::new_current_thread().build();
    let Ok(rt) = rt else { panic!("runtime") };
    let plan = rt.block_on(async {
        let df = ctx
            .sql("SELECT JSONExtractUInt(JSONExtractString(p, 'after'), 'id') AS id FROM t")
            .await
            .map_err(|e| e.to_string())?;
        df.into_optimized_plan().map_err(|e| e.to_string())
    });
    let text = plan
        .map(|p| p.display_indent().to_string())
        .unwrap_or_else(|e| e);
    assert!(
        text.contains("JSONExtractUInt(t.p, Utf8(\"after\"), Utf8(\"id\"))"),
        "{text}"
    );
}

#[test]
fn nullable_inputs() {
    let ctx = ctx();
    table(
        &ctx,
        "n",
        vec![Some(r#"{"a":"x"}"#), None, Some("bad")],
        true,
    );
    assert_eq!(
        col(&ctx, "SELECT JSONExtractString(p, 'a') FROM n"),
        ["x", "\\N", ""]
    );
    assert_eq!(
        col(&ctx, "SELECT JSONHas(p, 'a') FROM n"),
        ["1", "\\N", "0"]
    );
    let r = run(&ctx, "SELECT JSONExtractKeys(p) FROM n");
    assert!(
        r.err()
            .is_some_and(|e| e.contains("cannot be inside Nullable"))
    );
    assert_eq!(
        col(&ctx, "SELECT JSONExtract(p, 'Tuple(a String)') FROM n"),
        ["{a: x}", "\\N", "{a: }"]
    );
    assert_eq!(
        one("JSONExtractString('[\"a\", \"b\"]', CAST(NULL AS BIGINT))"),
        "\\N"
    );
}

#[test]
fn type_argument_errors_come_first() {
    let r = result_type("JSONExtractKeysAndValues(1, JSONLength(p))");
    assert!(
        r.contains("constant string specifying the return data type"),
        "{r}"
    );
    let r = result_type("JSONExtract(p, 'i', JSONType(p, 'i'))");
    assert!(
        r.contains("constant string specifying the return data type"),
        "{r}"
    );
}

/// More of 00918 / 02474 / 01685: LowCardinality and UUID inside tuples, LowCardinality
/// FixedString over a column, SQL type aliases.
#[test]
fn clickhouse_typed_extract_more() {
    assert_eq!(
        one(
            "JSONExtract('{\"a\":123456, \"b\":3.55}', 'Tuple(a LowCardinality(Int32), b Decimal(5, 2))')"
        ),
        "{a: 123456, b: 3.55}"
    );
    assert_eq!(
        one(
            "JSONExtract('{\"a\":1, \"b\":\"417ddc5d-e556-4d27-95dd-a34d84e46a50\"}', 'Tuple(a Int8, b UUID)')"
        ),
        "{a: 1, b: 417ddc5de5564d2795dda34d84e46a50}"
    );
    assert_eq!(one("JSONExtract('{ \"v\":1.1}', 'v', 'float')"), "1.1");
    assert_eq!(
        one("JSONExtract('{\"a\":1234567890.12345678901234567890}', 'a', 'Decimal(45,30)')"),
        "1234567890.123456700000000000000000000000"
    );
    assert_eq!(
        one("JSONExtract('{\"a\":1234567890.12345678901234567890}', 'a', 'Decimal(35,20)')"),
        "1234567890.12345670000000000000"
    );
    assert_eq!(one("JSONExtract('{ \"v\":1E-2}', 'v', 'double')"), "0.01");
    let ctx = ctx();
    table(
        &ctx,
        "f",
        vec![Some(r#"{"a": 131231}"#), Some(r#"{"a": 131231}"#)],
        false,
    );
    assert_eq!(
        col(
            &ctx,
            "SELECT JSONExtract(p, 'a', 'LowCardinality(FixedString(6))') FROM f"
        ),
        ["313331323331", "313331323331"]
    );
    assert_eq!(
        col(
            &ctx,
            "SELECT JSONExtract(p, 'a', 'LowCardinality(FixedString(5))') FROM f"
        ),
        ["0000000000", "0000000000"]
    );
    assert_eq!(
        col(
            &ctx,
            "SELECT JSONExtractKeysAndValues(p, 'LowCardinality(String)') FROM f"
        ),
        ["[{1: a, 2: 131231}]", "[{1: a, 2: 131231}]"]
    );
}
