//! `format_expr` against ClickHouse 26's SQL formatting
//! (`SELECT formatQuerySingleLine('SELECT <expr>')` in ch-oracle). Known differences, not
//! listed: `GLOBAL IN` prints as `IN` (GLOBAL is dropped while parsing: one node) and an
//! explicit `tupleElement(t, 1)` call prints as `t.1` (the form `t.1` parses into).

use sluice_sql::sql_ast::{SelectItem, SetExpr};
use sluice_sql::{Statement, format_expr, parse_statements};

/// (expression, ClickHouse's formatting).
const CASES: &[(&str, &str)] = &[
    ("1+2*3", "1 + (2 * 3)"),
    (
        "concat('a''x', 'b\\\\', 'tab\\there')",
        "concat('a\\'x', 'b\\\\', 'tab\\there')",
    ),
    (
        "(a > 1) AND (a < 5) AND NOT a",
        "(a > 1) AND (a < 5) AND (NOT a)",
    ),
    ("-a", "-a"),
    ("[1,2]", "[1, 2]"),
    ("(1, 'x')", "(1, 'x')"),
    ("g.1", "g.1"),
    ("CAST(a AS String)", "CAST(a, 'String')"),
    ("CAST(a AS Nullable(String))", "CAST(a, 'Nullable(String)')"),
    ("a IN (1, 2)", "a IN (1, 2)"),
    ("if(a = 1, 'x', 'y')", "if(a = 1, 'x', 'y')"),
    ("now() - INTERVAL 1 DAY", "now() - toIntervalDay(1)"),
    ("CASE WHEN a = 1 THEN 2 ELSE 3 END", "multiIf(a = 1, 2, 3)"),
    ("a::UInt8", "CAST(a, 'UInt8')"),
    ("f[1]", "f[1]"),
    ("c LIKE '%x'", "c LIKE '%x'"),
    ("a BETWEEN 1 AND 2", "(a >= 1) AND (a <= 2)"),
    ("a IS NULL", "a IS NULL"),
    ("1.5", "1.5"),
    ("-1", "-1"),
    ("a OR a OR 0", "a OR a OR 0"),
    ("toString(a) || 'x'", "concat(toString(a), 'x')"),
    (
        "a % 2 = 0 AND a != 3 AND a <> 4",
        "((a % 2) = 0) AND (a != 3) AND (a != 4)",
    ),
    ("a / 2 - (1 - 2)", "(a / 2) - (1 - 2)"),
    ("NOT (a = 1)", "NOT (a = 1)"),
    ("map('a', 1)", "map('a', 1)"),
    ("cc['a']", "cc['a']"),
    ("arrayMap(x -> x + 1, f)", "arrayMap(x -> (x + 1), f)"),
    ("a NOT IN (1)", "a NOT IN (1)"),
    ("c NOT LIKE 'x'", "c NOT LIKE 'x'"),
    ("c ILIKE 'x'", "c ILIKE 'x'"),
    ("a IS NOT NULL", "a IS NOT NULL"),
    (
        "CASE a WHEN 1 THEN 2 ELSE 3 END",
        "caseWithExpression(a, 1, 2, 3)",
    ),
    ("1e10", "10000000000."),
    ("0x1F", "31"),
    ("NULL", "NULL"),
    ("true", "true"),
    ("-(a + 1)", "-(a + 1)"),
    ("- -a", "-(-a)"),
    ("0.1", "0.1"),
    ("quantile(0.5)(a)", "quantile(0.5)(a)"),
    ("-9223372036854775808", "-9223372036854775808"),
    ("(a, 1).1", "(a, 1).1"),
    ("1 + 2 + 3", "(1 + 2) + 3"),
    ("1 - (2 - 3)", "1 - (2 - 3)"),
    ("(1 - 2) - 3", "(1 - 2) - 3"),
    ("'a' || 'b' || 'c'", "concat('a', 'b', 'c')"),
    (
        "arrayMap((x, y) -> x + y, f, f)",
        "arrayMap((x, y) -> (x + y), f, f)",
    ),
    ("1.0", "1."),
    ("100.25e-3", "0.10025"),
    ("substring(c, 1, 2)", "substring(c, 1, 2)"),
    (
        "toDate(b) + INTERVAL 2 MONTH",
        "toDate(b) + toIntervalMonth(2)",
    ),
    ("count(DISTINCT a)", "countDistinct(a)"),
    (
        "a = 1 OR a = 2 AND a = 3",
        "(a = 1) OR ((a = 2) AND (a = 3))",
    ),
    ("count(*)", "count(*)"),
    ("count()", "count()"),
    ("x.y", "x.y"),
    ("`a b`", "`a b`"),
    ("db.t.c", "db.t.c"),
    (
        "sum(x) OVER (PARTITION BY y ORDER BY z)",
        "sum(x) OVER (PARTITION BY y ORDER BY z ASC)",
    ),
    ("tuple()", "tuple()"),
    ("[]", "[]"),
    ("a < b", "a < b"),
    ("a >= b", "a >= b"),
    ("a <=> b", "a <=> b"),
    ("a * -1", "a * -1"),
    ("-1 * a", "-1 * a"),
    ("1 - -1", "1 - -1"),
    ("a NOT BETWEEN 1 AND 2", "(a < 1) OR (a > 2)"),
    ("CASE WHEN a THEN 1 END", "multiIf(a, 1, NULL)"),
    ("'é'", "'é'"),
    ("1_000", "1000"),
    ("-0.0", "-0."),
    ("inf", "inf"),
    ("-inf", "-inf"),
    ("nan", "nan"),
    ("CAST('1', 'UInt8')", "CAST('1', 'UInt8')"),
    ("DATE '2020-01-01'", "toDate('2020-01-01')"),
    ("EXTRACT(YEAR FROM d)", "toYear(d)"),
    ("TRIM(BOTH ' ' FROM s)", "trimBoth(s, ' ')"),
    ("a[1][2]", "(a[1])[2]"),
    ("m['k'].1", "(m['k']).1"),
    ("x IS NOT DISTINCT FROM y", "x <=> y"),
    (
        "a = 1 AND (b = 2 OR c = 3)",
        "(a = 1) AND ((b = 2) OR (c = 3))",
    ),
    ("NOT a AND b", "(NOT a) AND b"),
    ("-a.1", "-(a.1)"),
    ("ifNull(a, b)", "ifNull(a, b)"),
    ("a::Nullable(String)", "CAST(a, 'Nullable(String)')"),
];

fn first_projection(sql: &str) -> sluice_sql::sql_ast::Expr {
    let parsed = parse_statements(&format!("SELECT {sql}")).expect(sql);
    let Statement::Query(q) = &parsed[0].statement else {
        panic!("not a query: {sql}");
    };
    let SetExpr::Select(select) = q.body.as_ref() else {
        panic!("not a select: {sql}");
    };
    match &select.projection[0] {
        SelectItem::UnnamedExpr(e) => e.clone(),
        other => panic!("unexpected item {other:?}"),
    }
}

#[test]
fn formatting_matches_clickhouse() {
    let mut wrong = Vec::new();
    for (expr, expected) in CASES {
        let got = format_expr(&first_projection(expr));
        if got != *expected {
            wrong.push(format!("{expr:?}: got {got:?}, ClickHouse {expected:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
