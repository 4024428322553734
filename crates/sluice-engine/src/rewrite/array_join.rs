//! `[LEFT] ARRAY JOIN arr [AS x], …` as nested derived tables that unnest the arrays:
//!
//! ```sql
//! SELECT … FROM t ARRAY JOIN arr, [1, 2] AS x WHERE …
//! -- becomes
//! SELECT … FROM (SELECT * REPLACE (unnest(arr) AS arr), unnest([1, 2]) AS x FROM t) AS t WHERE …
//! ```
//!
//! Arrays of one `ARRAY JOIN` are joined element by element (DataFusion's unnest of several
//! arrays in one projection); each further `ARRAY JOIN` clause nests another level, giving
//! the Cartesian product as in ClickHouse. An array without alias replaces its own column
//! (the rest of the query sees the element under the array's name). `LEFT ARRAY JOIN` keeps
//! rows with empty arrays, with the element's default value (`emptyArrayToSingle`). The
//! derived table takes the relation's alias (or table name) so qualified names still resolve.

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    Expr, GroupByExpr, Ident, JoinOperator, ObjectNamePart, Query, ReplaceSelectElement,
    ReplaceSelectItem, Select, SelectFlavor, SelectItem, SetExpr, TableAlias, TableFactor,
    TableWithJoins, WildcardAdditionalOptions,
};
use sluice_common::{Error, Result};

use super::aliases::AliasMap;
use super::expr::call;

/// One `ARRAY JOIN` clause: LEFT or not, and its arrays.
struct Clause {
    left: bool,
    items: Vec<(Expr, Option<Ident>)>,
}

/// Expands the `ARRAY JOIN` clauses of `s` in place. Select-list aliases used as arrays are
/// replaced by their expressions (the derived table cannot see them). Returns the names of
/// the element columns given by an alias (`ARRAY JOIN arr AS x`): like select-list aliases,
/// ClickHouse's `*` does not include them.
pub(super) fn expand(s: &mut Select, aliases: &AliasMap) -> Result<Vec<String>> {
    let mut named = Vec::new();
    let mut i = 0;
    while i < s.from.len() {
        let twj = &mut s.from[i];
        let Some(first) = twj
            .joins
            .iter()
            .position(|j| array_join_kind(&j.join_operator).is_some())
        else {
            i += 1;
            continue;
        };
        if first > 0 {
            return Err(Error::not_implemented(
                "ARRAY JOIN after a JOIN (put the ARRAY JOIN first)",
            ));
        }
        let mut clauses: Vec<Clause> = Vec::new();
        let mut rest = Vec::new();
        for j in std::mem::take(&mut twj.joins) {
            match array_join_kind(&j.join_operator) {
                Some(left) if rest.is_empty() => {
                    let item = sluice_sql::array_join_item(&j.relation)
                        .ok_or_else(|| Error::internal("ARRAY JOIN item without its marker"))?;
                    clauses.push(Clause {
                        left,
                        items: vec![item],
                    });
                }
                Some(_) => {
                    return Err(Error::not_implemented(
                        "ARRAY JOIN after a JOIN (put the ARRAY JOIN first)",
                    ));
                }
                None => rest.push(j),
            }
        }
        // `ARRAY JOIN a, b`: the items after the first are the next FROM entries.
        while rest.is_empty()
            && let Some(next) = s.from.get(i + 1)
            && next.joins.is_empty()
            && let Some(item) = sluice_sql::array_join_item(&next.relation)
        {
            if let Some(last) = clauses.last_mut() {
                last.items.push(item);
            }
            s.from.remove(i + 1);
        }
        let twj = &mut s.from[i];
        let mut relation = std::mem::replace(&mut twj.relation, placeholder());
        for clause in clauses {
            relation = wrap(relation, clause, aliases, &mut named);
        }
        twj.relation = relation;
        twj.joins = rest;
        i += 1;
    }
    Ok(named)
}

/// Several different `arrayJoin(…)` calls in one select list multiply rows (a Cartesian
/// product, as separate `ARRAY JOIN` clauses do); DataFusion's unnest of several lists in
/// one projection zips them instead. With two or more distinct calls, each becomes an
/// `ARRAY JOIN expr AS __sluice_aj<i>` clause and the calls read the alias. Call before
/// [`expand`].
pub(super) fn split_array_join_calls(s: &mut Select) {
    use datafusion::sql::sqlparser::ast::{
        FunctionArg, FunctionArgExpr, Join, ObjectName, TableFunctionArgs, visit_expressions_mut,
    };
    use std::ops::ControlFlow;
    let mut arrays: Vec<Expr> = Vec::new();
    let collect = |e: &Expr, arrays: &mut Vec<Expr>| {
        let _ = datafusion::sql::sqlparser::ast::visit_expressions(e, |x: &Expr| {
            if let Some(a) = array_join_arg(x)
                && !arrays.contains(a)
            {
                arrays.push(a.clone());
            }
            ControlFlow::<()>::Continue(())
        });
    };
    for item in &s.projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            collect(e, &mut arrays);
        }
    }
    let nested = arrays.iter().any(visit_has_array_join);
    if arrays.len() < 2 || nested || s.from.len() != 1 || !s.from[0].joins.is_empty() {
        return;
    }
    let name = |i: usize| Ident::new(format!("__sluice_aj{i}"));
    for item in s.projection.iter_mut() {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            let _ = visit_expressions_mut(e, |x: &mut Expr| {
                if let Some(i) = array_join_arg(x).and_then(|a| arrays.iter().position(|b| b == a))
                {
                    *x = Expr::Identifier(name(i));
                }
                ControlFlow::<()>::Continue(())
            });
        }
    }
    for (i, array) in arrays.into_iter().enumerate() {
        s.from[0].joins.push(Join {
            relation: TableFactor::Table {
                name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(
                    sluice_sql::ARRAY_JOIN_MARKER,
                ))]),
                alias: Some(TableAlias {
                    explicit: true,
                    name: name(i),
                    columns: vec![],
                    at: None,
                }),
                args: Some(TableFunctionArgs {
                    args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(array))],
                    settings: None,
                }),
                with_hints: vec![],
                version: None,
                with_ordinality: false,
                partitions: vec![],
                json_path: None,
                sample: None,
                index_hints: vec![],
            },
            global: false,
            join_operator: JoinOperator::ArrayJoin,
        });
    }
}

/// The argument of an `arrayJoin(x)` call.
fn array_join_arg(e: &Expr) -> Option<&Expr> {
    use datafusion::sql::sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    let Expr::Function(f) = e else { return None };
    if super::functions::function_name(f) != "arrayJoin" {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(a))] => Some(a),
        _ => None,
    }
}

fn visit_has_array_join(e: &Expr) -> bool {
    datafusion::sql::sqlparser::ast::visit_expressions(e, |x: &Expr| {
        if array_join_arg(x).is_some() {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// `Some(is_left)` for the ARRAY JOIN operators.
fn array_join_kind(op: &JoinOperator) -> Option<bool> {
    match op {
        JoinOperator::ArrayJoin | JoinOperator::InnerArrayJoin => Some(false),
        JoinOperator::LeftArrayJoin => Some(true),
        _ => None,
    }
}

/// `SELECT projection FROM from` with every other clause empty.
fn plain_select(projection: Vec<SelectItem>, from: TableWithJoins) -> Select {
    Select {
        select_token: AttachedToken::empty(),
        optimizer_hints: vec![],
        distinct: None,
        select_modifiers: None,
        top: None,
        top_before_distinct: false,
        projection,
        exclude: None,
        into: None,
        from: vec![from],
        lateral_views: vec![],
        prewhere: None,
        selection: None,
        connect_by: vec![],
        group_by: GroupByExpr::Expressions(vec![], vec![]),
        cluster_by: vec![],
        distribute_by: vec![],
        sort_by: vec![],
        having: None,
        named_window: vec![],
        qualify: None,
        window_before_qualify: false,
        value_table_mode: None,
        flavor: SelectFlavor::Standard,
    }
}

/// A stand-in relation while the real one is moved into its wrapper.
fn placeholder() -> TableFactor {
    TableFactor::Derived {
        lateral: false,
        subquery: Box::new(Query {
            with: None,
            body: Box::new(SetExpr::Values(datafusion::sql::sqlparser::ast::Values {
                explicit_row: false,
                value_keyword: false,
                rows: vec![],
            })),
            order_by: None,
            limit_clause: None,
            fetch: None,
            locks: vec![],
            for_clause: None,
            settings: None,
            format_clause: None,
            pipe_operators: vec![],
        }),
        alias: None,
        sample: None,
    }
}

/// The name the derived table takes: the relation's alias, else a table's own name.
fn relation_alias(r: &TableFactor) -> Option<Ident> {
    match r {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            Some(a.name.clone())
        }
        TableFactor::Table {
            name, args: None, ..
        } => match name.0.last() {
            Some(ObjectNamePart::Identifier(i)) => Some(i.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn wrap(
    relation: TableFactor,
    clause: Clause,
    aliases: &AliasMap,
    named: &mut Vec<String>,
) -> TableFactor {
    let alias = relation_alias(&relation);
    let mut replace = Vec::new();
    let mut extra = Vec::new();
    for (mut expr, name) in clause.items {
        if let Expr::Identifier(id) = &expr
            && name.is_none()
        {
            // The array's own column is replaced by its element.
            let column = id.clone();
            aliases.substitute(&mut expr);
            replace.push(Box::new(ReplaceSelectElement {
                expr: unnest(expr, clause.left),
                column_name: column,
                as_keyword: true,
            }));
            continue;
        }
        let column = match (&expr, name) {
            (_, Some(n)) => n,
            (Expr::CompoundIdentifier(parts), None) => match parts.last() {
                Some(p) => p.clone(),
                None => Ident::new(sluice_sql::format_column_name(&expr)),
            },
            (_, None) => Ident::new(sluice_sql::format_column_name(&expr)),
        };
        aliases.substitute(&mut expr);
        named.push(column.value.clone());
        extra.push(SelectItem::ExprWithAlias {
            expr: unnest(expr, clause.left),
            alias: column,
        });
    }
    let mut projection = vec![SelectItem::Wildcard(WildcardAdditionalOptions {
        opt_replace: (!replace.is_empty()).then_some(ReplaceSelectItem { items: replace }),
        ..Default::default()
    })];
    projection.extend(extra);
    let select = plain_select(
        projection,
        TableWithJoins {
            relation,
            joins: vec![],
        },
    );
    TableFactor::Derived {
        lateral: false,
        subquery: Box::new(Query {
            with: None,
            body: Box::new(SetExpr::Select(Box::new(select))),
            order_by: None,
            limit_clause: None,
            fetch: None,
            locks: vec![],
            for_clause: None,
            settings: None,
            format_clause: None,
            pipe_operators: vec![],
        }),
        alias: alias.map(|name| TableAlias {
            explicit: true,
            name,
            columns: vec![],
            at: None,
        }),
        sample: None,
    }
}

fn unnest(array: Expr, left: bool) -> Expr {
    let array = if left {
        call("emptyArrayToSingle", vec![array])
    } else {
        array
    };
    element_typed(array)
}

/// `unnest(array)` wrapped so its element keeps the array's element type (see
/// `sluice_functions::array::unnested`).
fn element_typed(array: Expr) -> Expr {
    call(
        sluice_functions::array::unnested::UNNESTED,
        vec![call("unnest", vec![array.clone()]), array],
    )
}

/// For an `unnest(x)` call (what `arrayJoin(x)` becomes), the typed form.
pub(super) fn typed_unnest(f: &datafusion::sql::sqlparser::ast::Function) -> Option<Expr> {
    use datafusion::sql::sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    if super::functions::function_name(f) != "unnest" {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(array))] => Some(element_typed(array.clone())),
        _ => None,
    }
}
