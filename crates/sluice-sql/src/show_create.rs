//! [`show_create_table`]: the text ClickHouse 26 prints for `SHOW CREATE TABLE`:
//!
//! ```text
//! CREATE TABLE default.t
//! (
//!     `a` UInt8 DEFAULT 1,
//!     `s` String COMMENT 'c' CODEC(ZSTD(1))
//! )
//! ENGINE = MergeTree
//! PARTITION BY a
//! ORDER BY (a, s)
//! SETTINGS index_granularity = 8192
//! ```
//!
//! It prints what the [`CreateTable`] holds: the engine adds engine defaults first (for
//! MergeTree, `SETTINGS index_granularity = 8192`), resolves `AS other` into columns, and
//! normalises types (`ChType::parse(…).to_string()`), then calls this.

use crate::ast::{ColumnDef, CreateTable, EngineClause};
use crate::format::{quote_identifier, quote_string};
use crate::format_expr::format_expr;

/// `SHOW CREATE TABLE` text for `table`, whose database is `database` (used when the name
/// has none).
pub fn show_create_table(table: &CreateTable, database: &str) -> String {
    let db = table.name.database.as_deref().unwrap_or(database);
    let mut out = String::from("CREATE ");
    if table.temporary {
        out.push_str("TEMPORARY TABLE ");
        out.push_str(&quote_identifier(&table.name.table));
    } else {
        out.push_str("TABLE ");
        out.push_str(&quote_identifier(db));
        out.push('.');
        out.push_str(&quote_identifier(&table.name.table));
    }
    let mut elements: Vec<String> = table.columns.iter().map(column_text).collect();
    elements.extend(table.indexes.iter().cloned());
    elements.extend(table.projections.iter().cloned());
    elements.extend(table.constraints.iter().cloned());
    if !elements.is_empty() {
        out.push_str("\n(\n");
        out.push_str(
            &elements
                .iter()
                .map(|e| format!("    {e}"))
                .collect::<Vec<_>>()
                .join(",\n"),
        );
        out.push_str("\n)");
    }
    if let Some(engine) = &table.engine {
        out.push('\n');
        out.push_str(&engine_text(engine));
    }
    if let Some(comment) = &table.comment {
        out.push_str("\nCOMMENT ");
        out.push_str(&quote_string(comment));
    }
    out
}

/// One column as `SHOW CREATE TABLE` prints it: `` `name` Type [DEFAULT expr] [COMMENT 'c']
/// [CODEC(…)] [TTL expr] ``. `T NULL` is printed as `Nullable(T)`.
pub fn column_text(c: &ColumnDef) -> String {
    let mut s = format!("`{}`", c.name.replace('\\', "\\\\").replace('`', "\\`"));
    if let Some(t) = &c.type_text {
        // ClickHouse prints named tuples across lines (`print_pretty_type_names`).
        let pretty = sluice_common::ChType::parse(t).map(|ty| ty.create_query_name(1));
        let t = pretty.as_ref().unwrap_or(t);
        s.push(' ');
        if c.null_modifier == Some(true) && !t.starts_with("Nullable(") {
            s.push_str(&format!("Nullable({t})"));
        } else {
            s.push_str(t);
        }
    }
    if let Some((kind, expr)) = &c.default {
        s.push(' ');
        s.push_str(kind.keyword());
        if let Some(e) = expr {
            s.push(' ');
            s.push_str(&format_expr(e));
        }
    }
    if let Some(comment) = &c.comment {
        s.push_str(" COMMENT ");
        s.push_str(&quote_string(comment));
    }
    if let Some(codec) = &c.codec {
        s.push_str(&format!(" CODEC({codec})"));
    }
    if let Some(stats) = &c.statistics {
        s.push_str(&format!(" STATISTICS({stats})"));
    }
    if let Some(ttl) = &c.ttl {
        s.push_str(" TTL ");
        s.push_str(&format_expr(ttl));
    }
    s
}

/// The engine clause lines: `ENGINE = …`, `PARTITION BY …`, `PRIMARY KEY …`, `ORDER BY …`,
/// `SAMPLE BY …`, `TTL …`, `SETTINGS …` (ClickHouse's order).
pub fn engine_text(e: &EngineClause) -> String {
    let mut lines = Vec::new();
    let mut engine = format!("ENGINE = {}", e.name);
    if !e.args.is_empty() {
        engine.push_str(&format!(
            "({})",
            e.args
                .iter()
                .map(format_expr)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    lines.push(engine);
    if let Some(p) = &e.partition_by {
        lines.push(format!("PARTITION BY {}", format_expr(p)));
    }
    if let Some(p) = &e.primary_key {
        lines.push(format!("PRIMARY KEY {}", format_expr(p)));
    }
    if let Some(o) = &e.order_by {
        lines.push(format!("ORDER BY {}", format_expr(o)));
    }
    if let Some(s) = &e.sample_by {
        lines.push(format!("SAMPLE BY {}", format_expr(s)));
    }
    if !e.ttl.is_empty() {
        let items: Vec<String> = e
            .ttl
            .iter()
            .map(|t| {
                let mut s = format_expr(&t.expr);
                if let Some(a) = &t.action {
                    s.push(' ');
                    s.push_str(a);
                }
                if let Some(w) = &t.where_ {
                    s.push_str(" WHERE ");
                    s.push_str(&format_expr(w));
                }
                s
            })
            .collect();
        lines.push(format!("TTL {}", items.join(", ")));
    }
    if !e.settings.is_empty() {
        lines.push(format!(
            "SETTINGS {}",
            e.settings
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    lines.join("\n")
}
