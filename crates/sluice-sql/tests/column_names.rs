//! `format_column_name` against the names ClickHouse 26 gives (ch-oracle,
//! `SELECT <expr> FROM (…)` with `TSVWithNames`; headers unescaped).

use sluice_sql::sql_ast::{SelectItem, SetExpr};
use sluice_sql::{Statement, format_column_name, parse_statements};

/// (expression, ClickHouse's column name).
const CASES: &[(&str, &str)] = &[
    ("1 ? 2 : 3", "if(1, 2, 3)"),
    ("0 OR 1 ? 'a' : 'b'", "if(or(0, 1), 'a', 'b')"),
    ("1 + 2", "plus(1, 2)"),
    ("1+2*3", "plus(1, multiply(2, 3))"),
    ("a = x", "equals(a, x)"),
    ("NOT a", "not(a)"),
    ("-a", "negate(a)"),
    ("-1", "-1"),
    ("a AND x AND y", "and(a, x, y)"),
    ("a OR x", "or(a, x)"),
    ("a IN (1, 2)", "in(a, (1, 2))"),
    ("a NOT IN (1, 2)", "notIn(a, (1, 2))"),
    ("CAST(a AS String)", "CAST(a, 'String')"),
    ("a::UInt8", "CAST(a, 'UInt8')"),
    ("CAST(a, 'String')", "CAST(a, 'String')"),
    ("f[1]", "arrayElement(f, 1)"),
    ("g.1", "tupleElement(g, 1)"),
    ("'it''s'", "'it\\'s'"),
    ("'a\\\\b'", "'a\\\\b'"),
    ("'tab\\there'", "'tab\\there'"),
    (
        "arrayMap(x -> x + 1, f)",
        "arrayMap(lambda(tuple(x), plus(x, 1)), f)",
    ),
    (
        "arrayMap((p, q) -> p + q, f, f)",
        "arrayMap(lambda(tuple(p, q), plus(p, q)), f, f)",
    ),
    ("count()", "count()"),
    ("count(*)", "count()"),
    ("count(DISTINCT a)", "countDistinct(a)"),
    ("countDistinct(a)", "countDistinct(a)"),
    ("INTERVAL 1 DAY", "toIntervalDay(1)"),
    ("now() - INTERVAL 1 HOUR", "minus(now(), toIntervalHour(1))"),
    (
        "CASE WHEN a = 1 THEN 'x' ELSE 'y' END",
        "multiIf(equals(a, 1), 'x', 'y')",
    ),
    (
        "CASE a WHEN 1 THEN 'x' END",
        "caseWithExpression(a, 1, 'x', NULL)",
    ),
    (
        "CASE WHEN a = 1 THEN 'x' END",
        "multiIf(equals(a, 1), 'x', NULL)",
    ),
    ("a IS NULL", "isNull(a)"),
    ("a IS NOT NULL", "isNotNull(a)"),
    ("c LIKE 'x%'", "like(c, 'x%')"),
    ("c NOT LIKE 'x%'", "notLike(c, 'x%')"),
    ("c ILIKE 'x%'", "ilike(c, 'x%')"),
    (
        "a BETWEEN 1 AND 2",
        "and(greaterOrEquals(a, 1), lessOrEquals(a, 2))",
    ),
    ("a NOT BETWEEN 1 AND 2", "or(less(a, 1), greater(a, 2))"),
    ("1.5", "1.5"),
    ("1e10", "10000000000."),
    ("1.0", "1."),
    ("0.1", "0.1"),
    ("0x1F", "31"),
    ("NULL", "NULL"),
    ("true", "true"),
    ("false", "false"),
    ("[1, 2]", "[1, 2]"),
    ("(1, 'x')", "(1, 'x')"),
    ("tuple(1, 2)", "(1, 2)"),
    ("cc['a']", "arrayElement(cc, 'a')"),
    ("a != x", "notEquals(a, x)"),
    ("a <> x", "notEquals(a, x)"),
    ("a < x", "less(a, x)"),
    ("a <= x", "lessOrEquals(a, x)"),
    ("a > x", "greater(a, x)"),
    ("a >= x", "greaterOrEquals(a, x)"),
    ("a * x", "multiply(a, x)"),
    ("a / x", "divide(a, x)"),
    ("a % x", "modulo(a, x)"),
    ("a - x", "minus(a, x)"),
    ("c || 'x'", "concat(c, 'x')"),
    ("quantile(0.9)(a)", "quantile(0.9)(a)"),
    ("sum(a)", "sum(a)"),
    ("toTypeName(1)", "toTypeName(1)"),
    ("(a + 1) * 2", "multiply(plus(a, 1), 2)"),
    ("-(a + 1)", "negate(plus(a, 1))"),
    ("toDate('2020-01-01')", "toDate('2020-01-01')"),
    ("if(a = 1, 2, 3)", "if(equals(a, 1), 2, 3)"),
    ("[]", "[]"),
    ("tuple()", "()"),
    ("'é'", "'é'"),
    ("a", "a"),
    ("`a`", "a"),
    ("-9223372036854775808", "-9223372036854775808"),
    ("18446744073709551615", "18446744073709551615"),
    ("-0.5", "-0.5"),
    ("1_000", "1000"),
    ("EXTRACT(YEAR FROM b)", "toYear(b)"),
    ("DATE '2020-01-01'", "toDate('2020-01-01')"),
    (
        "a = 1 OR x = 2 AND y = 3",
        "or(equals(a, 1), and(equals(x, 2), equals(y, 3)))",
    ),
    ("concat('a', 'b')", "concat('a', 'b')"),
    ("(1, 2).2", "tupleElement((1, 2), 2)"),
    ("[1,2][1]", "arrayElement([1, 2], 1)"),
    ("COUNT(a)", "COUNT(a)"),
    ("SUM(a)", "SUM(a)"),
    ("Max(a)", "Max(a)"),
    ("now()", "now()"),
    ("version()", "version()"),
    ("a IS NOT DISTINCT FROM x", "isNotDistinctFrom(a, x)"),
    ("isNull(a)", "isNull(a)"),
    ("not(a)", "not(a)"),
    ("1 IN (1)", "in(1, 1)"),
    ("uniq(a) OVER ()", "uniq(a) OVER ()"),
    (
        "sum(a) OVER (PARTITION BY x ORDER BY y)",
        "sum(a) OVER (PARTITION BY x ORDER BY y ASC)",
    ),
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
fn column_names_match_clickhouse() {
    let mut wrong = Vec::new();
    for (expr, expected) in CASES {
        let got = format_column_name(&first_projection(expr));
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
