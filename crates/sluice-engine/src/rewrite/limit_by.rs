//! `LIMIT n [OFFSET m] BY exprs`: at most `n` rows (after skipping `m`) per distinct value of
//! `exprs`, in the query's ORDER BY order. Rewritten to window functions:
//!
//! ```sql
//! SELECT * EXCLUDE (__sluice_rn, __sluice_ord) FROM (
//!   SELECT …, row_number() OVER (PARTITION BY exprs ORDER BY <order>) AS __sluice_rn,
//!             row_number() OVER (ORDER BY <order>) AS __sluice_ord
//!   FROM …) WHERE __sluice_rn > m AND __sluice_rn <= m + n
//! ORDER BY __sluice_ord LIMIT <the query's own limit>
//! ```

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, ExcludeSelectItem, Expr, Function, FunctionArguments, Ident, LimitClause,
    NamedWindowDefinition, ObjectName, ObjectNamePart, Offset, OffsetRows, OrderBy, OrderByExpr,
    OrderByKind, OrderByOptions, Query, Select, SelectItem, SetExpr, TableAlias, TableFactor,
    TableWithJoins, Value, ValueWithSpan, WildcardAdditionalOptions, WindowSpec, WindowType,
};
use datafusion::sql::sqlparser::tokenizer::Span;
use sluice_common::{Error, Result};

use super::aliases::AliasMap;
use super::expr::rewrite_expr;
use super::query::RewriteContext;

const RN: &str = "__sluice_rn";
const ORD: &str = "__sluice_ord";

pub(super) fn row_number(partition_by: Vec<Expr>, order_by: Vec<OrderByExpr>) -> Expr {
    window_call("row_number", vec![], partition_by, order_by)
}

/// `name(args) OVER (PARTITION BY … ORDER BY …)`.
pub(super) fn window_call(
    name: &str,
    args: Vec<Expr>,
    partition_by: Vec<Expr>,
    order_by: Vec<OrderByExpr>,
) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(datafusion::sql::sqlparser::ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| {
                    datafusion::sql::sqlparser::ast::FunctionArg::Unnamed(
                        datafusion::sql::sqlparser::ast::FunctionArgExpr::Expr(a),
                    )
                })
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: Some(WindowType::WindowSpec(WindowSpec {
            window_name: None,
            partition_by,
            order_by,
            window_frame: None,
        })),
        within_group: vec![],
    })
}

pub(super) fn num(v: u64) -> Expr {
    Expr::Value(ValueWithSpan {
        value: Value::Number(v.to_string(), false),
        span: Span::empty(),
    })
}

pub(super) fn const_u64(e: &Expr) -> Result<u64> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => n.parse().map_err(|_| {
            Error::new(
                sluice_common::ErrorCode::INVALID_LIMIT_EXPRESSION,
                format!("Invalid LIMIT BY value {n}"),
            )
        }),
        other => Err(Error::new(
            sluice_common::ErrorCode::INVALID_LIMIT_EXPRESSION,
            format!("LIMIT BY takes a constant, got {other}"),
        )),
    }
}

/// Rewrites `q` in place when it has `LIMIT … BY`. Called after the body was rewritten.
pub fn apply(q: &mut Query, aliases: &AliasMap, ctx: &RewriteContext) -> Result<()> {
    let parts = sluice_sql::limit_parts(q);
    let Some(lb) = parts.limit_by else {
        return Ok(());
    };
    let n = const_u64(&lb.limit)?;
    let m = lb.offset.as_ref().map(const_u64).transpose()?.unwrap_or(0);
    let order_src = q.order_by.clone();
    let SetExpr::Select(select) = q.body.as_mut() else {
        return Err(Error::not_implemented("LIMIT BY on a UNION"));
    };
    let order = window_order(order_src.as_ref(), &select.projection, aliases, ctx)?;
    let mut partition = Vec::new();
    for e in &lb.exprs {
        let mut e = e.clone();
        aliases.substitute(&mut e);
        rewrite_expr(&mut e, ctx)?;
        partition.push(e);
    }
    let mut order = order;
    let mut exclude = vec![ObjectName(vec![ObjectNamePart::Identifier(Ident::new(RN))])];
    let mut select: &mut Select = select;
    if order.is_empty() {
        // No ORDER BY: rows keep their input order (ClickHouse streams them). The input is
        // numbered first, in a select of its own, with the BY keys beside it; the ranking
        // window then orders each key's rows by that number.
        let mut keys = Vec::with_capacity(partition.len());
        for (i, e) in partition.iter().enumerate() {
            let alias = format!("__sluice_key{i}");
            select.projection.push(SelectItem::ExprWithAlias {
                expr: e.clone(),
                alias: Ident::new(&alias),
            });
            keys.push(Expr::Identifier(Ident::new(&alias)));
            exclude.push(ObjectName(vec![ObjectNamePart::Identifier(Ident::new(
                alias,
            ))]));
        }
        select.projection.push(SelectItem::ExprWithAlias {
            expr: row_number(vec![], vec![]),
            alias: Ident::new(ORD),
        });
        let mut numbered = q.clone();
        numbered.order_by = None;
        numbered.limit_clause = None;
        numbered.fetch = None;
        let SetExpr::Select(original) = q.body.as_ref() else {
            return Err(Error::internal("LIMIT BY: the query is not a select"));
        };
        let wrapper = Select {
            projection: vec![SelectItem::Wildcard(WildcardAdditionalOptions::default())],
            from: vec![TableWithJoins {
                relation: TableFactor::Derived {
                    lateral: false,
                    subquery: Box::new(numbered),
                    alias: Some(TableAlias {
                        explicit: true,
                        name: Ident::new("__sluice_limit_by_input"),
                        columns: vec![],
                        at: None,
                    }),
                    sample: None,
                },
                joins: vec![],
            }],
            selection: None,
            distinct: None,
            group_by: datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(vec![], vec![]),
            having: None,
            named_window: Vec::<NamedWindowDefinition>::new(),
            qualify: None,
            prewhere: None,
            sort_by: vec![],
            ..(**original).clone()
        };
        q.with = None;
        *q.body = SetExpr::Select(Box::new(wrapper));
        let SetExpr::Select(w) = q.body.as_mut() else {
            return Err(Error::internal("LIMIT BY: the query is not a select"));
        };
        select = w;
        partition = keys;
        order = vec![OrderByExpr {
            expr: Expr::Identifier(Ident::new(ORD)),
            options: OrderByOptions {
                asc: None,
                nulls_first: None,
            },
            with_fill: None,
        }];
    } else {
        select.projection.push(SelectItem::ExprWithAlias {
            expr: row_number(vec![], order.clone()),
            alias: Ident::new(ORD),
        });
    }
    select.projection.push(SelectItem::ExprWithAlias {
        expr: row_number(partition, order),
        alias: Ident::new(RN),
    });
    let has_order = true;
    let base_select = select.clone();
    let mut inner = q.clone();
    inner.order_by = None;
    inner.limit_clause = None;
    inner.fetch = None;
    let rn = || Expr::Identifier(Ident::new(RN));
    let cond = Expr::BinaryOp {
        left: Box::new(Expr::BinaryOp {
            left: Box::new(rn()),
            op: BinaryOperator::Gt,
            right: Box::new(num(m)),
        }),
        op: BinaryOperator::And,
        right: Box::new(Expr::BinaryOp {
            left: Box::new(rn()),
            op: BinaryOperator::LtEq,
            right: Box::new(num(m.saturating_add(n))),
        }),
    };
    if has_order {
        exclude.push(ObjectName(vec![ObjectNamePart::Identifier(Ident::new(
            ORD,
        ))]));
    }
    let outer_select = Select {
        projection: vec![SelectItem::Wildcard(WildcardAdditionalOptions {
            opt_exclude: Some(ExcludeSelectItem::Multiple(exclude)),
            ..Default::default()
        })],
        from: vec![TableWithJoins {
            relation: TableFactor::Derived {
                lateral: false,
                subquery: Box::new(inner),
                alias: Some(TableAlias {
                    explicit: true,
                    name: Ident::new("__sluice_limit_by"),
                    columns: vec![],
                    at: None,
                }),
                sample: None,
            },
            joins: vec![],
        }],
        selection: Some(cond),
        ..base_select
    };
    let outer_select = Select {
        distinct: None,
        group_by: datafusion::sql::sqlparser::ast::GroupByExpr::Expressions(vec![], vec![]),
        having: None,
        named_window: Vec::<NamedWindowDefinition>::new(),
        qualify: None,
        prewhere: None,
        sort_by: vec![],
        ..outer_select
    };
    *q.body = SetExpr::Select(Box::new(outer_select));
    q.with = None;
    q.order_by = if has_order {
        Some(OrderBy {
            kind: OrderByKind::Expressions(vec![OrderByExpr {
                expr: Expr::Identifier(Ident::new(ORD)),
                options: OrderByOptions {
                    asc: None,
                    nulls_first: None,
                },
                with_fill: None,
            }]),
            interpolate: None,
        })
    } else {
        None
    };
    q.fetch = None;
    q.limit_clause = match (parts.limit, parts.offset) {
        (None, None) => None,
        (limit, offset) => Some(LimitClause::LimitOffset {
            limit,
            offset: offset.map(|v| Offset {
                value: v,
                rows: OffsetRows::None,
            }),
            limit_by: vec![],
        }),
    };
    Ok(())
}

/// The query's ORDER BY as window-function ordering: positional items resolved to the
/// select items they name, aliases substituted (windows cannot see select-list aliases),
/// already-rewritten expressions kept.
pub(super) fn window_order(
    order_src: Option<&OrderBy>,
    projection: &[SelectItem],
    aliases: &AliasMap,
    ctx: &RewriteContext,
) -> Result<Vec<OrderByExpr>> {
    let mut order: Vec<OrderByExpr> = Vec::new();
    if let Some(ob) = order_src
        && let OrderByKind::Expressions(exprs) = &ob.kind
    {
        for o in exprs {
            let mut o = o.clone();
            if let Expr::Value(ValueWithSpan {
                value: Value::Number(p, _),
                ..
            }) = &o.expr
            {
                // Positional ORDER BY: the select item it names.
                let idx: usize = p.parse().unwrap_or(0);
                if let Some(item) = projection.get(idx.wrapping_sub(1)) {
                    o.expr = match item {
                        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                            e.clone()
                        }
                        _ => o.expr,
                    };
                }
            } else {
                aliases.substitute(&mut o.expr);
            }
            // Typed literals and quoted function names, as the select list gets them (the
            // window must name a GROUP BY key exactly as the aggregation does).
            rewrite_expr(&mut o.expr, ctx)?;
            order.push(o);
        }
    }
    Ok(order)
}
