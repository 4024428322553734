//! How ClickHouse query forms that sqlparser's AST has no place for are encoded in it, and
//! helpers that decode them. The engine should read these forms through the helpers only.
//!
//! | ClickHouse | encoded as | read with |
//! |---|---|---|
//! | `WITH expr AS name` | a CTE `name AS (SELECT expr FROM `[`WITH_EXPRESSION_MARKER`]`)` | [`with_expression`] |
//! | `t.1`, `(1, 2).2` | `tupleElement(t, 1)` | — |
//! | `CAST(x AS T)`, `x::T` | `Expr::Cast` with `DataType::Custom` holding the type text | [`cast_type_text`] |
//! | `{name:Type}` | `Value::Placeholder("{name:Type}")` | [`query_parameter`] |
//! | `LIMIT n [OFFSET m] BY e` | `LimitClause::LimitOffset { limit_by: [e], .. }` | [`limit_parts`] |
//! | `… BY e LIMIT k` | `Query::fetch` = `FETCH FIRST k ROWS ONLY` | [`limit_parts`] |
//! | `… BY e LIMIT k OFFSET j` | `FETCH FIRST` the placeholder [`FETCH_OFFSET_MARKER`]`(k,j)` | [`limit_parts`] |
//! | `LIMIT n WITH TIES` | `Query::fetch` with `with_ties` | [`limit_parts`] |
//! | `0x1F` | the decimal number `31` | — |
//! | `GLOBAL IN`, `GLOBAL JOIN`, `ALL JOIN` | plain `IN`, `JOIN` | — |
//! | `l ANY\|SEMI\|ANTI [side] JOIN r` | `l CROSS JOIN __sluice_join_<strictness>() side JOIN r` | [`crate::JoinStrictness::from_marker_name`] |
//! | `ARRAY JOIN e [AS x], …` | marker table functions, see [`crate::array_join`] | [`crate::array_join_item`] |
//! | `t [AS x] FINAL` | `TableFactor::Table` with the hint `WITH (FINAL)` | [`is_final`] |

use datafusion::sql::sqlparser::ast::{
    Cte, DataType, Expr, LimitClause, Query, SelectItem, SetExpr, TableFactor, Value, ValueWithSpan,
};
use datafusion::sql::sqlparser::tokenizer::Span;

/// The table name inside a WITH-expression CTE's query that marks it as one.
pub const WITH_EXPRESSION_MARKER: &str = "__sluice_with_expression";

/// The placeholder name whose `FETCH FIRST` quantity `FETCH_OFFSET_MARKER(k,j)` encodes
/// the `LIMIT k OFFSET j` that follows `LIMIT … BY`.
pub const FETCH_OFFSET_MARKER: &str = "__sluice_fetch_offset";

/// For a CTE that encodes `WITH expr AS name`, the expression (the name is
/// `cte.alias.name`). `None` for a real CTE (`WITH name AS (SELECT …)`).
pub fn with_expression(cte: &Cte) -> Option<&Expr> {
    let SetExpr::Select(select) = cte.query.body.as_ref() else {
        return None;
    };
    let [from] = select.from.as_slice() else {
        return None;
    };
    let TableFactor::Table { name, .. } = &from.relation else {
        return None;
    };
    if name.0.len() != 1 || name.to_string().trim_matches('`') != WITH_EXPRESSION_MARKER {
        return None;
    }
    match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(e)] => Some(e),
        [SelectItem::ExprWithAlias { expr, .. }] => Some(expr),
        _ => None,
    }
}

/// The ClickHouse type text of a cast target (`Nullable(String)`, `DateTime('UTC')`).
/// Types parsed by this crate are kept verbatim; any other sqlparser type is printed by
/// sqlparser.
pub fn cast_type_text(data_type: &DataType) -> String {
    match data_type {
        DataType::Custom(name, modifiers) if modifiers.is_empty() && name.0.len() == 1 => name
            .0
            .first()
            .and_then(|p| p.as_ident())
            .map_or_else(|| name.to_string(), |i| i.value.clone()),
        other => other.to_string(),
    }
}

/// For a `{name:Type}` placeholder value, its name and type text.
pub fn query_parameter(value: &Value) -> Option<(String, String)> {
    let Value::Placeholder(p) = value else {
        return None;
    };
    let inner = p.strip_prefix('{')?.strip_suffix('}')?;
    let (name, ty) = inner.split_once(':')?;
    Some((name.trim().to_string(), ty.trim().to_string()))
}

/// A query's limits, decoded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LimitParts {
    /// The row limit of the whole result (`LIMIT n`, or the `LIMIT k` after `LIMIT … BY`).
    pub limit: Option<Expr>,
    /// The offset of the whole result (`OFFSET m`, `LIMIT m, n`).
    pub offset: Option<Expr>,
    /// `WITH TIES` on the whole-result limit.
    pub with_ties: bool,
    /// `LIMIT n [OFFSET m] BY exprs`.
    pub limit_by: Option<LimitBy>,
}

/// `LIMIT n [OFFSET m] BY exprs`: at most `n` rows (after skipping `m`) per distinct `exprs`.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitBy {
    /// Rows kept per group.
    pub limit: Expr,
    /// Rows skipped per group.
    pub offset: Option<Expr>,
    /// The grouping expressions.
    pub exprs: Vec<Expr>,
}

/// Decodes the `LIMIT`, `OFFSET`, `LIMIT BY` and `WITH TIES` of a query.
pub fn limit_parts(query: &Query) -> LimitParts {
    let mut parts = LimitParts::default();
    match &query.limit_clause {
        Some(LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) => {
            if limit_by.is_empty() {
                parts.limit = limit.clone();
                parts.offset = offset.as_ref().map(|o| o.value.clone());
            } else if let Some(l) = limit {
                parts.limit_by = Some(LimitBy {
                    limit: l.clone(),
                    offset: offset.as_ref().map(|o| o.value.clone()),
                    exprs: limit_by.clone(),
                });
            }
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
            parts.limit = Some(limit.clone());
            parts.offset = Some(offset.clone());
        }
        None => {}
    }
    if let Some(fetch) = &query.fetch {
        parts.limit = fetch.quantity.clone();
        if let Some((k, j)) = fetch.quantity.as_ref().and_then(fetch_offset) {
            parts.limit = Some(k);
            parts.offset = Some(j);
        }
        parts.with_ties = fetch.with_ties;
    }
    parts
}

/// Decodes a `FETCH_OFFSET_MARKER(k,j)` placeholder into `(k, j)` as number literals.
fn fetch_offset(e: &Expr) -> Option<(Expr, Expr)> {
    let Expr::Value(v) = e else { return None };
    let Value::Placeholder(p) = &v.value else {
        return None;
    };
    let inner = p
        .strip_prefix(FETCH_OFFSET_MARKER)?
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let (k, j) = inner.split_once(',')?;
    let num = |s: &str| {
        Expr::Value(ValueWithSpan {
            value: Value::Number(s.to_string(), false),
            span: Span::empty(),
        })
    };
    Some((num(k), num(j)))
}

/// Whether a table reference carries ClickHouse's `FINAL` modifier (encoded as the table
/// hint `WITH (FINAL)`).
pub fn is_final(factor: &TableFactor) -> bool {
    matches!(factor, TableFactor::Table { with_hints, .. }
        if with_hints.iter().any(|h| matches!(h, Expr::Identifier(i)
            if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("FINAL"))))
}

/// Removes the `FINAL` hint from a table reference (after the engine has acted on it).
pub fn clear_final(factor: &mut TableFactor) {
    if let TableFactor::Table { with_hints, .. } = factor {
        with_hints.retain(|h| {
            !matches!(h, Expr::Identifier(i)
            if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("FINAL"))
        });
    }
}
