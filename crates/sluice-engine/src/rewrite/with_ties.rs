//! `ORDER BY … LIMIT n [OFFSET m] WITH TIES`: the `n` rows after the first `m`, plus the
//! rows that follow and tie with the last of them on the ORDER BY keys. Rewritten to window
//! functions (DataFusion has no `FETCH … WITH TIES`):
//!
//! ```sql
//! SELECT * EXCLUDE (__sluice_rn, __sluice_rk, __sluice_cut) FROM (
//!   SELECT *, max(CASE WHEN __sluice_rn = m + n THEN __sluice_rk END) OVER () AS __sluice_cut
//!   FROM (SELECT …, row_number() OVER (ORDER BY o) AS __sluice_rn,
//!                   rank() OVER (ORDER BY o) AS __sluice_rk FROM …))
//! WHERE __sluice_rn > m AND (__sluice_cut IS NULL OR __sluice_rk <= __sluice_cut)
//! ORDER BY __sluice_rn
//! ```

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, ExcludeSelectItem, Expr, GroupByExpr, Ident, ObjectName, ObjectNamePart,
    OrderBy, OrderByExpr, OrderByKind, OrderByOptions, Query, Select, SelectItem, SetExpr,
    TableAlias, TableFactor, TableWithJoins, WildcardAdditionalOptions,
};
use sluice_common::{Error, ErrorCode, Result};

use super::aliases::AliasMap;
use super::limit_by::{const_u64, num, row_number, window_call, window_order};
use super::query::RewriteContext;

const RN: &str = "__sluice_rn";
const RK: &str = "__sluice_rk";
const CUT: &str = "__sluice_cut";

fn ident(name: &str) -> Expr {
    Expr::Identifier(Ident::new(name))
}

fn bin(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op,
        right: Box::new(right),
    }
}

fn derived(query: Query, alias: &str) -> TableWithJoins {
    TableWithJoins {
        relation: TableFactor::Derived {
            lateral: false,
            subquery: Box::new(query),
            alias: Some(TableAlias {
                explicit: true,
                name: Ident::new(alias),
                columns: vec![],
                at: None,
            }),
            sample: None,
        },
        joins: vec![],
    }
}

/// A select over `from` with `projection` and `selection`, every other clause empty (built
/// from `template` so the fields sqlparser adds later need no change here).
fn wrapper(
    template: &Select,
    projection: Vec<SelectItem>,
    from: TableWithJoins,
    selection: Option<Expr>,
) -> Select {
    Select {
        distinct: None,
        top: None,
        projection,
        from: vec![from],
        lateral_views: vec![],
        prewhere: None,
        selection,
        group_by: GroupByExpr::Expressions(vec![], vec![]),
        cluster_by: vec![],
        distribute_by: vec![],
        sort_by: vec![],
        having: None,
        named_window: vec![],
        qualify: None,
        connect_by: vec![],
        exclude: None,
        into: None,
        ..template.clone()
    }
}

fn query_of(template: &Query, select: Select) -> Query {
    Query {
        with: None,
        body: Box::new(SetExpr::Select(Box::new(select))),
        order_by: None,
        limit_clause: None,
        fetch: None,
        ..template.clone()
    }
}

/// Rewrites `q` in place when its limit has `WITH TIES`. Called after the body was
/// rewritten.
pub(super) fn apply(q: &mut Query, aliases: &AliasMap, ctx: &RewriteContext) -> Result<()> {
    let parts = sluice_sql::limit_parts(q);
    if !parts.with_ties {
        return Ok(());
    }
    if parts.limit_by.is_some() {
        return Err(Error::new(
            ErrorCode::LIMIT_BY_WITH_TIES_IS_NOT_SUPPORTED,
            "Can not use WITH TIES alongside LIMIT BY",
        ));
    }
    let n = parts
        .limit
        .as_ref()
        .map(const_u64)
        .transpose()?
        .unwrap_or(0);
    let m = parts
        .offset
        .as_ref()
        .map(const_u64)
        .transpose()?
        .unwrap_or(0);
    let order_src = q.order_by.clone();
    let SetExpr::Select(select) = q.body.as_mut() else {
        return Err(Error::not_implemented("LIMIT … WITH TIES on a UNION"));
    };
    let order = window_order(order_src.as_ref(), &select.projection, aliases, ctx)?;
    if order.is_empty() {
        return Err(Error::new(
            ErrorCode::WITH_TIES_WITHOUT_ORDER_BY,
            "Can not use WITH TIES without ORDER BY",
        ));
    }
    select.projection.push(SelectItem::ExprWithAlias {
        expr: row_number(vec![], order.clone()),
        alias: Ident::new(RN),
    });
    select.projection.push(SelectItem::ExprWithAlias {
        expr: window_call("rank", vec![], vec![], order),
        alias: Ident::new(RK),
    });
    let template_select = (**select).clone();
    let mut inner = q.clone();
    inner.order_by = None;
    inner.limit_clause = None;
    inner.fetch = None;
    let star = |exclude: Option<ExcludeSelectItem>| {
        SelectItem::Wildcard(WildcardAdditionalOptions {
            opt_exclude: exclude,
            ..Default::default()
        })
    };
    // The rank of the last row taken (NULL when there are fewer rows).
    let cut = window_call(
        "max",
        vec![Expr::Case {
            case_token: AttachedToken::empty(),
            end_token: AttachedToken::empty(),
            operand: None,
            conditions: vec![datafusion::sql::sqlparser::ast::CaseWhen {
                condition: bin(ident(RN), BinaryOperator::Eq, num(m.saturating_add(n))),
                result: ident(RK),
            }],
            else_result: None,
        }],
        vec![],
        vec![],
    );
    let middle = wrapper(
        &template_select,
        vec![
            star(None),
            SelectItem::ExprWithAlias {
                expr: cut,
                alias: Ident::new(CUT),
            },
        ],
        derived(inner, "__sluice_ties_in"),
        None,
    );
    let keep = if n == 0 {
        bin(num(0), BinaryOperator::Eq, num(1))
    } else {
        bin(
            bin(ident(RN), BinaryOperator::Gt, num(m)),
            BinaryOperator::And,
            Expr::Nested(Box::new(bin(
                Expr::IsNull(Box::new(ident(CUT))),
                BinaryOperator::Or,
                bin(ident(RK), BinaryOperator::LtEq, ident(CUT)),
            ))),
        )
    };
    let exclude = [RN, RK, CUT]
        .iter()
        .map(|c| ObjectName(vec![ObjectNamePart::Identifier(Ident::new(*c))]))
        .collect();
    let outer = wrapper(
        &template_select,
        vec![star(Some(ExcludeSelectItem::Multiple(exclude)))],
        derived(query_of(q, middle), "__sluice_ties"),
        Some(keep),
    );
    *q.body = SetExpr::Select(Box::new(outer));
    q.with = None;
    q.order_by = Some(OrderBy {
        kind: OrderByKind::Expressions(vec![OrderByExpr {
            expr: ident(RN),
            options: OrderByOptions {
                asc: None,
                nulls_first: None,
            },
            with_fill: None,
        }]),
        interpolate: None,
    });
    q.limit_clause = None;
    q.fetch = None;
    Ok(())
}
