//! A MergeTree-family engine clause's arguments (`ReplacingMergeTree(ver, is_deleted)`,
//! `SummingMergeTree((a, b))`, `CollapsingMergeTree(sign)`, …) read into a
//! [`MergeTreeEngine`], with ClickHouse's checks of their arity and of the named columns'
//! types.

use datafusion::sql::sqlparser::ast::Expr;
use sluice_common::{Error, Result, ch_err};
use sluice_sql::EngineClause;
use sluice_storage::MergeTreeEngine;

use super::merge_tree::key_items;
use crate::table::ColumnDesc;

fn ident_arg(engine: &str, e: &Expr) -> Result<String> {
    match e {
        Expr::Identifier(i) => Ok(i.value.clone()),
        other => Err(ch_err!(
            BAD_ARGUMENTS,
            "{engine}: the argument {} must be a column name",
            sluice_sql::format_expr(other)
        )),
    }
}

fn arity(engine: &str, args: &[Expr], min: usize, max: usize, what: &str) -> Result<()> {
    if args.len() < min || args.len() > max {
        let range = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(ch_err!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "With extended storage definition syntax storage {engine} requires {range} parameters: {what}"
        ));
    }
    Ok(())
}

pub(super) fn engine_kind(
    clause: &EngineClause,
    columns: &[ColumnDesc],
) -> Result<MergeTreeEngine> {
    let name = clause.name.as_str();
    let args = &clause.args;
    let has = |c: &str| columns.iter().any(|x| x.name == c);
    let kind = match name {
        "MergeTree" => {
            arity(name, args, 0, 0, "")?;
            MergeTreeEngine::MergeTree
        }
        "ReplacingMergeTree" => {
            arity(name, args, 0, 2, "\n[is_deleted column],\n[version]")?;
            MergeTreeEngine::Replacing {
                version: args.first().map(|a| ident_arg(name, a)).transpose()?,
                is_deleted: args.get(1).map(|a| ident_arg(name, a)).transpose()?,
            }
        }
        "SummingMergeTree" => {
            arity(name, args, 0, 1, "\n[columns to sum]")?;
            let columns = match args.first() {
                None => Vec::new(),
                Some(e) => key_items(e)
                    .iter()
                    .map(|a| ident_arg(name, a))
                    .collect::<Result<_>>()?,
            };
            MergeTreeEngine::Summing { columns }
        }
        "AggregatingMergeTree" => {
            arity(name, args, 0, 0, "")?;
            MergeTreeEngine::Aggregating
        }
        "CollapsingMergeTree" => {
            arity(name, args, 1, 1, "\nsign column")?;
            MergeTreeEngine::Collapsing {
                sign: ident_arg(name, &args[0])?,
            }
        }
        "VersionedCollapsingMergeTree" => {
            arity(name, args, 2, 2, "\nsign column,\nversion")?;
            MergeTreeEngine::VersionedCollapsing {
                sign: ident_arg(name, &args[0])?,
                version: ident_arg(name, &args[1])?,
            }
        }
        other => {
            return Err(Error::not_implemented(format!("table engine {other}")));
        }
    };
    let named: Vec<String> = match &kind {
        MergeTreeEngine::Replacing {
            version,
            is_deleted,
        } => version.iter().chain(is_deleted.iter()).cloned().collect(),
        MergeTreeEngine::Summing { columns } => columns.clone(),
        MergeTreeEngine::Collapsing { sign } => vec![sign.clone()],
        MergeTreeEngine::VersionedCollapsing { sign, version } => {
            vec![sign.clone(), version.clone()]
        }
        _ => Vec::new(),
    };
    for c in named {
        if !has(&c) {
            return Err(ch_err!(
                NO_SUCH_COLUMN_IN_TABLE,
                "Column {c} does not exist in table"
            ));
        }
    }
    check_engine_column_types(name, &kind, columns)?;
    Ok(kind)
}

/// ClickHouse's type rules for the engine's columns (`BAD_TYPE_OF_FIELD`): a sign is
/// `Int8`, `is_deleted` is `UInt8` (or `Bool`), a version is a number or a date/time.
fn check_engine_column_types(
    engine: &str,
    kind: &MergeTreeEngine,
    columns: &[ColumnDesc],
) -> Result<()> {
    use sluice_common::ChType;
    let ty = |c: &str| columns.iter().find(|x| x.name == c).map(|x| &x.ty);
    let (sign, version, is_deleted) = match kind {
        MergeTreeEngine::Replacing {
            version,
            is_deleted,
        } => (None, version.as_ref(), is_deleted.as_ref()),
        MergeTreeEngine::Collapsing { sign } => (Some(sign), None, None),
        MergeTreeEngine::VersionedCollapsing { sign, version } => (Some(sign), Some(version), None),
        _ => (None, None, None),
    };
    if let Some(c) = sign
        && let Some(t) = ty(c)
        && *t != ChType::Int8
    {
        return Err(ch_err!(
            BAD_TYPE_OF_FIELD,
            "Sign column ({c}) for storage {engine} must have type Int8. Provided column of type {t}"
        ));
    }
    if let Some(c) = is_deleted
        && let Some(t) = ty(c)
        && !matches!(t, ChType::UInt8 | ChType::Bool)
    {
        return Err(ch_err!(
            BAD_TYPE_OF_FIELD,
            "is_deleted column ({c}) for storage {engine} must have type UInt8. Provided column of type {t}"
        ));
    }
    if let Some(c) = version
        && let Some(t) = ty(c)
    {
        let ok = matches!(
            t,
            ChType::UInt8
                | ChType::UInt16
                | ChType::UInt32
                | ChType::UInt64
                | ChType::UInt128
                | ChType::UInt256
                | ChType::Int8
                | ChType::Int16
                | ChType::Int32
                | ChType::Int64
                | ChType::Int128
                | ChType::Int256
                | ChType::Float32
                | ChType::Float64
                | ChType::Bool
                | ChType::Date
                | ChType::Date32
                | ChType::DateTime(_)
                | ChType::DateTime64(..)
        );
        if !ok {
            return Err(ch_err!(
                BAD_TYPE_OF_FIELD,
                "The column {c} cannot be used as a version column for storage {engine} because it is of type {t} (must be of an integer type or of type Date/DateTime/DateTime64)"
            ));
        }
    }
    Ok(())
}
