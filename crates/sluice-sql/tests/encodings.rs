//! The ClickHouse forms encoded into sqlparser's AST decode back (see `query_ext`), INSERT
//! data is delimited as ClickHouse's client does, and `SHOW CREATE TABLE` prints what
//! ClickHouse 26 prints (expected texts from ch-oracle).

use sluice_sql::sql_ast::{Expr, Query, Value};
use sluice_sql::{
    InsertSource, Statement, format_expr, limit_parts, parse_statements, query_parameter,
    show_create_table, with_expression,
};

fn query(sql: &str) -> Box<Query> {
    let mut parsed = parse_statements(sql).expect(sql);
    match parsed.remove(0).statement {
        Statement::Query(q) => q,
        other => panic!("not a query: {other:?}"),
    }
}

#[test]
fn limit_by_and_limit() {
    let q = query("SELECT * FROM t LIMIT 1 OFFSET 2 BY x, y LIMIT 10");
    let parts = limit_parts(&q);
    let by = parts.limit_by.expect("limit by");
    assert_eq!(format_expr(&by.limit), "1");
    assert_eq!(by.offset.as_ref().map(format_expr), Some("2".to_string()));
    assert_eq!(by.exprs.len(), 2);
    assert_eq!(
        parts.limit.as_ref().map(format_expr),
        Some("10".to_string())
    );
    assert!(!parts.with_ties);

    let parts = limit_parts(&query("SELECT * FROM t LIMIT 2, 1 BY x"));
    let by = parts.limit_by.expect("limit by");
    assert_eq!(format_expr(&by.limit), "1");
    assert_eq!(by.offset.as_ref().map(format_expr), Some("2".to_string()));
    assert!(parts.limit.is_none());

    let parts = limit_parts(&query("SELECT * FROM t LIMIT 5, 10"));
    assert_eq!(
        parts.limit.as_ref().map(format_expr),
        Some("10".to_string())
    );
    assert_eq!(
        parts.offset.as_ref().map(format_expr),
        Some("5".to_string())
    );
}

#[test]
fn with_ties() {
    let parts = limit_parts(&query("SELECT * FROM t ORDER BY a LIMIT 3 WITH TIES"));
    assert!(parts.with_ties);
    assert_eq!(parts.limit.as_ref().map(format_expr), Some("3".to_string()));
}

#[test]
fn with_expression_aliases() {
    let q = query("WITH 1 + 2 AS x, y AS (SELECT 1) SELECT x FROM y");
    let with = q.with.as_ref().expect("with");
    assert_eq!(with.cte_tables.len(), 2);
    assert_eq!(with.cte_tables[0].alias.name.value, "x");
    assert_eq!(
        with_expression(&with.cte_tables[0]).map(format_expr),
        Some("1 + 2".to_string())
    );
    assert!(with_expression(&with.cte_tables[1]).is_none());
}

#[test]
fn placeholders_and_hex() {
    let q = query("SELECT {id:UInt64}, 0x1F");
    let text = q.to_string();
    assert!(text.contains("{id:UInt64}"), "{text}");
    assert!(text.contains("31"), "{text}");
    let value = Value::Placeholder("{id:UInt64}".to_string());
    assert_eq!(
        query_parameter(&value),
        Some(("id".to_string(), "UInt64".to_string()))
    );
}

#[test]
fn tuple_access_and_using() {
    let q = query("SELECT t.1 FROM a JOIN b USING k");
    let text = q.to_string();
    assert!(text.contains("tupleElement(t, 1)"), "{text}");
    assert!(
        text.contains("USING(k)") || text.contains("USING (k)"),
        "{text}"
    );
}

#[test]
fn settings_and_format_are_lifted() {
    let parsed = parse_statements("SELECT 1 SETTINGS max_threads = 2, x = 'y' FORMAT JSONEachRow")
        .expect("parses");
    assert_eq!(parsed[0].format.as_deref(), Some("JSONEachRow"));
    assert_eq!(parsed[0].settings.len(), 2);
    assert_eq!(parsed[0].settings[0].0, "max_threads");
    let parsed = parse_statements("SHOW TABLES FORMAT TSVRaw").expect("parses");
    assert_eq!(parsed[0].format.as_deref(), Some("TSVRaw"));
}

#[test]
fn insert_inline_data() {
    let sql = "INSERT INTO t FORMAT CSV\n1,\"a;b\"\n2,c\n\nSELECT 1";
    let parsed = parse_statements(sql).expect("parses");
    assert_eq!(parsed.len(), 2);
    let Statement::Insert(ins) = &parsed[0].statement else {
        panic!("insert");
    };
    assert_eq!(
        ins.source,
        InsertSource::Format {
            format: "CSV".to_string(),
            data: Some("1,\"a;b\"\n2,c".to_string())
        }
    );
    let rows = sluice_sql::parse_values_rows("(1, 'a'), (2, 'b;c')").expect("rows");
    assert_eq!(rows.len(), 2);
    assert!(
        matches!(&rows[1][1], Expr::Value(v) if v.value == Value::SingleQuotedString("b;c".into()))
    );
}

fn create(sql: &str) -> sluice_sql::CreateTable {
    let mut parsed = parse_statements(sql).expect(sql);
    match parsed.remove(0).statement {
        Statement::CreateTable(t) => *t,
        other => panic!("not CREATE TABLE: {other:?}"),
    }
}

#[test]
fn show_create_matches_clickhouse() {
    // ch-oracle: CREATE TABLE t (a UInt8 DEFAULT 1, s String CODEC(ZSTD(1)) COMMENT 'c')
    // ENGINE = MergeTree PARTITION BY a ORDER BY (a, s) SETTINGS index_granularity = 8192;
    // SHOW CREATE TABLE t FORMAT TSVRaw
    let t = create(
        "CREATE TABLE t (a UInt8 DEFAULT 1, s String CODEC(ZSTD(1)) COMMENT 'c') ENGINE = MergeTree PARTITION BY a ORDER BY (a, s) SETTINGS index_granularity = 8192",
    );
    assert_eq!(
        show_create_table(&t, "default"),
        "CREATE TABLE default.t\n(\n    `a` UInt8 DEFAULT 1,\n    `s` String COMMENT 'c' CODEC(ZSTD(1))\n)\nENGINE = MergeTree\nPARTITION BY a\nORDER BY (a, s)\nSETTINGS index_granularity = 8192"
    );
    let t = create(
        "CREATE TABLE t5 (payload String) ENGINE = Kafka SETTINGS kafka_broker_list = 'kafka:9092', kafka_topic_list = 't', kafka_group_name = 'g', kafka_format = 'JSONAsString', kafka_num_consumers = 1, kafka_row_delimiter = '\\n'",
    );
    assert_eq!(
        show_create_table(&t, "default"),
        "CREATE TABLE default.t5\n(\n    `payload` String\n)\nENGINE = Kafka\nSETTINGS kafka_broker_list = 'kafka:9092', kafka_topic_list = 't', kafka_group_name = 'g', kafka_format = 'JSONAsString', kafka_num_consumers = 1, kafka_row_delimiter = '\\n'"
    );
    let t = create("CREATE TABLE t6 (x UInt8, y String NULL) ENGINE = Memory");
    assert_eq!(
        show_create_table(&t, "default"),
        "CREATE TABLE default.t6\n(\n    `x` UInt8,\n    `y` Nullable(String)\n)\nENGINE = Memory"
    );
    let t = create("CREATE TABLE d2.t (x UInt8, `y z` String) ENGINE = MergeTree ORDER BY x");
    assert_eq!(
        show_create_table(&t, "default"),
        "CREATE TABLE d2.t\n(\n    `x` UInt8,\n    `y z` String\n)\nENGINE = MergeTree\nORDER BY x"
    );
}
