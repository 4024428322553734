//! The seed guide's SQL parses as written (tests/data/seed_statements.sql holds every
//! complete statement of it, verbatim), and the two statements ClickHouse rejects are
//! rejected here too.

use sluice_common::ErrorCode;
use sluice_sql::{InsertSource, SettingValue, Statement, parse_statements};

const SEED: &str = include_str!("data/seed_statements.sql");
const SEED_INVALID: &str = include_str!("data/seed_invalid.sql");

#[test]
fn every_seed_statement_parses() {
    let parsed = match parse_statements(SEED) {
        Ok(p) => p,
        Err(e) => panic!("{}", e.to_clickhouse_string()),
    };
    assert_eq!(parsed.len(), 26);
}

#[test]
fn seed_kafka_table_has_engine_settings() {
    let parsed = parse_statements(SEED).expect("seed parses");
    let Statement::CreateTable(t) = &parsed[0].statement else {
        panic!("first statement is CREATE TABLE");
    };
    assert_eq!(t.name.table, "orders_kafka_json");
    assert_eq!(t.columns.len(), 1);
    assert_eq!(t.columns[0].type_text.as_deref(), Some("String"));
    let engine = t.engine.as_ref().expect("engine");
    assert_eq!(engine.name, "Kafka");
    assert_eq!(engine.settings.len(), 8);
    assert_eq!(
        engine.setting("kafka_row_delimiter"),
        Some(&SettingValue::String("\n".to_string()))
    );
    assert_eq!(
        engine.setting("kafka_num_consumers"),
        Some(&SettingValue::UInt(1))
    );
}

#[test]
fn seed_target_table_clauses() {
    let parsed = parse_statements(SEED).expect("seed parses");
    let Statement::CreateTable(t) = &parsed[1].statement else {
        panic!("second statement is CREATE TABLE");
    };
    let engine = t.engine.as_ref().expect("engine");
    assert_eq!(engine.name, "MergeTree");
    assert!(engine.has_parens && engine.args.is_empty());
    assert_eq!(
        engine.partition_by.as_ref().map(sluice_sql::format_expr),
        Some("_partition_date".to_string())
    );
    assert_eq!(
        engine.order_by.as_ref().map(sluice_sql::format_expr),
        Some("(order_id, _synced_at)".to_string())
    );
    assert_eq!(
        engine.setting("index_granularity"),
        Some(&SettingValue::UInt(8192))
    );
    assert_eq!(t.columns.len(), 8);
    assert!(t.columns[6].default.is_some());
}

#[test]
fn seed_view_and_insert() {
    let parsed = parse_statements(SEED).expect("seed parses");
    let Statement::CreateMaterializedView(mv) = &parsed[2].statement else {
        panic!("third statement is a materialized view");
    };
    assert_eq!(
        mv.to.as_ref().map(|t| t.table.as_str()),
        Some("orders_final")
    );
    assert!(mv.query_text.starts_with("SELECT"));
    let Statement::Insert(ins) = &parsed[3].statement else {
        panic!("fourth statement is INSERT");
    };
    assert_eq!(ins.table.database.as_deref(), Some("inventory"));
    assert_eq!(ins.columns.len(), 4);
    assert!(
        matches!(&ins.source, InsertSource::Values { data } if data == "('2025-09-03', 1001, 5, 102)")
    );
}

#[test]
fn seed_statements_clickhouse_rejects_are_syntax_errors() {
    for sql in SEED_INVALID.split(";\n\n") {
        if sql
            .trim()
            .lines()
            .all(|l| l.trim().is_empty() || l.trim().starts_with("--"))
        {
            continue;
        }
        let err = parse_statements(sql).expect_err(sql);
        assert_eq!(err.code, ErrorCode::SYNTAX_ERROR, "{sql}");
    }
}
