//! Malformed statements: each gives SYNTAX_ERROR (62), as ClickHouse does for the same text
//! (checked with ch-oracle; statements ClickHouse's implicit SELECT turns into other errors
//! are left out), and none panics.

use sluice_common::ErrorCode;
use sluice_sql::parse_statements;

const MALFORMED: &[&str] = &[
    "SELEC 1",
    "SELECT",
    "SELECT 1 FRM t",
    "SELECT * FROM",
    "SELECT (1",
    "SELECT 1)",
    "SELECT [1, 2",
    "SELECT 'unterminated",
    "SELECT \"unterminated",
    "SELECT `unterminated",
    "SELECT 1 +",
    "SELECT * FROM t WHERE",
    "SELECT * FROM t GROUP",
    "SELECT * FROM t ORDER",
    "SELECT * FROM t LIMIT",
    "SELECT a b c FROM t",
    "SELECT * FROM t t2 t3",
    "SELECT CAST(1 AS)",
    "SELECT CAST(1 AS UInt8",
    "SELECT count(",
    "SELECT f(,)",
    "SELECT * FROM t JOIN",
    "SELECT * FROM t JOIN u ON",
    "SELECT CASE WHEN 1 END",
    "SELECT x IN",
    "SELECT 1 SETTINGS",
    "SELECT 1 FORMAT",
    "INSERT INTO",
    "INSERT INTO t (a, VALUES (1)",
    "INSERT t VALUES (1)",
    "INSERT INTO t BLAH",
    "CREATE TABLE t (",
    "CREATE TABLE t (a UInt8",
    "CREATE TABLE t (a UInt8) ENGINE =",
    "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER",
    "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS",
    "CREATE TABLE t (a UInt8, b) ENGINE = Memory",
    "CREATE TABLE t (a UInt8 DEFAULT) ENGINE = Memory",
    "CREATE TABLE t (a UInt8 CODEC(ZSTD) ENGINE = Memory",
    "CREATE TABLE t (a UInt8) ENGINE = Memory COMMENT",
    "CREATE TABL t (a UInt8)",
    "CREATE VIEW v AS",
    "CREATE VIEW v SELECT 1",
    "CREATE MATERIALIZED VIEW mv TO AS SELECT 1",
    "DROP TABLES t",
    "ALTER TABLE t",
    "ALTER TABLE t MODIFY SETTING",
    "ALTER TABLE t ADD COLUMN",
    "ALTER TABLE t FOO",
    "ALTER t ADD COLUMN a UInt8",
    "RENAME TABLE a",
    "RENAME TABLE a TO",
    "SET x =",
    "SYSTEM FOO BAR",
    "SELECT 1 UNION SELECT",
    "(SELECT 1",
    "SELECT ()) ",
    "SELECT 1 1",
    "WITH AS x SELECT 1",
    "SELECT * FROM t FINAL FINAL",
    "SELECT {p:UInt8",
    ";;;SELECT 1 FROM",
    "SELECT 1 LIMIT 1 BY",
    "SELECT * FROM t ANY LEFT JOIN",
    "SELECT 1 FORMAT JSON JSON",
    "ALTER TABLE t MODIFY TTL",
    "CREATE TABLE t (a UInt8) ENGINE = MergeTree PARTITION BY a PARTITION BY a",
];

#[test]
fn malformed_statements_are_syntax_errors() {
    assert!(MALFORMED.len() >= 50);
    let mut wrong = Vec::new();
    for sql in MALFORMED {
        match parse_statements(sql) {
            Ok(s) => wrong.push(format!("{sql:?}: parsed as {} statement(s)", s.len())),
            Err(e) if e.code != ErrorCode::SYNTAX_ERROR && e.code != ErrorCode::NOT_IMPLEMENTED => {
                wrong.push(format!("{sql:?}: {}", e.to_clickhouse_string()))
            }
            Err(e) => assert!(!e.message.is_empty()),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn syntax_error_message_has_clickhouse_shape() {
    let err = parse_statements("SELECT 1 FRM t").expect_err("malformed");
    assert_eq!(err.code, ErrorCode::SYNTAX_ERROR);
    assert!(
        err.message.starts_with("Syntax error: failed at position "),
        "{}",
        err.message
    );
    assert!(err.to_clickhouse_string().ends_with("(SYNTAX_ERROR)"));
}

#[test]
fn unsupported_forms_are_not_implemented() {
    for sql in [
        "INSERT INTO FUNCTION file('x.csv') VALUES (1)",
        "CREATE DICTIONARY d (k UInt64) PRIMARY KEY k SOURCE(NULL()) LAYOUT(FLAT()) LIFETIME(0)",
        "GRANT SELECT ON *.* TO u",
        "SELECT * FROM a ANY FULL JOIN b USING (k)",
        "SELECT * FROM a ASOF RIGHT JOIN b ON a.k = b.k AND a.t >= b.t",
        "SELECT * FROM a ASOF FULL JOIN b ON a.k = b.k AND a.t >= b.t",
    ] {
        let err = parse_statements(sql).expect_err(sql);
        assert_eq!(err.code, ErrorCode::NOT_IMPLEMENTED, "{sql}");
    }
}

#[test]
fn join_strictness_becomes_a_marker_relation() {
    let parsed = parse_statements("SELECT * FROM a GLOBAL ANY LEFT OUTER JOIN b USING k")
        .expect("ANY LEFT JOIN parses");
    let text = format!("{:?}", parsed[0].statement);
    assert!(text.contains("__sluice_join_any"), "{text}");
    let parsed = parse_statements("SELECT * FROM a SEMI JOIN b USING k").expect("SEMI parses");
    assert!(format!("{:?}", parsed[0].statement).contains("__sluice_join_semi"));
    let parsed = parse_statements("SELECT * FROM a ALL INNER JOIN b USING k").expect("ALL");
    assert!(!format!("{:?}", parsed[0].statement).contains("__sluice_join"));
    for sql in [
        "SELECT * FROM a SEMI FULL JOIN b USING (k)",
        "SELECT * FROM a ANY CROSS JOIN b",
        "SELECT * FROM a ANTI INNER JOIN b USING (k)",
    ] {
        let err = parse_statements(sql).expect_err(sql);
        assert_eq!(err.code, ErrorCode::SYNTAX_ERROR, "{sql}");
    }
}

mod token_soup {
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "SELECT",
        "FROM",
        "WHERE",
        "(",
        ")",
        ",",
        ";",
        "'",
        "\"",
        "`",
        "x",
        "1",
        "1.5",
        "+",
        "-",
        "*",
        "/",
        "=",
        "<",
        ">",
        "AND",
        "OR",
        "NOT",
        "IN",
        "GLOBAL",
        "ANY",
        "ALL",
        "JOIN",
        "USING",
        "ON",
        "LIMIT",
        "BY",
        "WITH",
        "TIES",
        "OFFSET",
        "SETTINGS",
        "FORMAT",
        "CREATE",
        "TABLE",
        "ENGINE",
        "MergeTree",
        "ORDER",
        "PARTITION",
        "TTL",
        "INTERVAL",
        "DAY",
        "INSERT",
        "INTO",
        "VALUES",
        "CSV",
        "ALTER",
        "MODIFY",
        "SETTING",
        "SYSTEM",
        "DROP",
        "SHOW",
        "{",
        "}",
        ":",
        "[",
        "]",
        ".",
        ".1",
        "::",
        "->",
        "CAST",
        "AS",
        "#",
        "--",
        "/*",
        "*/",
        "\n",
        "0x1F",
        "CASE",
        "WHEN",
        "THEN",
        "END",
        "ARRAY",
        "FINAL",
        "SAMPLE",
        "PREWHERE",
        "é",
        "\\",
        "DEFAULT",
        "CODEC",
        "ATTACH",
        "DETACH",
        "EXPLAIN",
        "DESCRIBE",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn token_soup_never_panics(parts in proptest::collection::vec(0..PIECES.len(), 0..40)) {
            let sql: Vec<&str> = parts.iter().map(|i| PIECES[*i]).collect();
            let sql = sql.join(" ");
            let _ = sluice_sql::parse_statements(&sql);
            let glued: String = parts.iter().map(|i| PIECES[*i]).collect();
            let _ = sluice_sql::parse_statements(&glued);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,80}") {
            let _ = sluice_sql::parse_statements(&s);
        }
    }
}
