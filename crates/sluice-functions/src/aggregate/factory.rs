//! Name resolution, like ClickHouse's `AggregateFunctionFactory`: a call name such as
//! `quantilesIfState(0.5, 0.9)` is split into parameters, combinator suffixes (resolved
//! from the right, so the last suffix is the outermost wrapper) and a base function; NULL
//! handling (ClickHouse's implicit `Null` combinator) is applied around the base function.

use sluice_common::ChType;

use super::func::{AggFuncRef, Param, display_name};
use super::{
    combinators, count_sum, delta_sum, entropy, group_array, group_bit, linear_regression, minmax,
    moments, moving, quantile, regr, retention, skew_kurt, sum_map, top_k_weighted, uniq,
    window_funnel,
};
use crate::ch_bail;
use datafusion::error::Result;

/// How a base function treats NULL arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullMode {
    /// Rows with a NULL argument are skipped; a Nullable argument makes the result
    /// Nullable, NULL when no row remained (`sum`, `min`, `quantile`…).
    Skip,
    /// Rows with a NULL argument are skipped; the result type stays non-Nullable
    /// (`uniq`, `groupArray`, `topK`…).
    SkipKeepType,
    /// The function sees NULLs itself (`count`).
    Own,
}

/// What a base builder receives.
pub struct BuildArgs<'a> {
    /// The base function's canonical name (without parameters).
    pub name: &'static str,
    /// Parameters (`0.9` in `quantile(0.9)`).
    pub params: &'a [Param],
    /// Argument types; non-Nullable unless the function's [`NullMode`] is `Own`.
    pub args: &'a [ChType],
}

impl BuildArgs<'_> {
    /// The ClickHouse name with parameters.
    pub fn full_name(&self) -> String {
        display_name(self.name, self.params)
    }

    /// Fails unless there are exactly `n` arguments.
    pub fn expect_args(&self, n: usize) -> Result<()> {
        if self.args.len() != n {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Aggregate function {} requires {n} argument{}, got {}",
                self.name,
                if n == 1 { "" } else { "s" },
                self.args.len()
            );
        }
        Ok(())
    }

    /// Fails unless the function was called without parameters.
    pub fn no_params(&self) -> Result<()> {
        if !self.params.is_empty() {
            return Err(crate::util::ch_error(sluice_common::Error::new(
                sluice_common::ErrorCode::AGGREGATE_FUNCTION_DOESNT_ALLOW_PARAMETERS,
                format!("Aggregate function {} cannot have parameters", self.name),
            )));
        }
        Ok(())
    }
}

/// A base (combinator-free) aggregate function.
pub struct BaseDef {
    /// Canonical ClickHouse name.
    pub name: &'static str,
    /// Other names resolving to the same function (exact case).
    pub aliases: &'static [&'static str],
    /// True when ClickHouse also accepts the name (and aliases) in any letter case.
    pub case_insensitive: bool,
    /// NULL treatment.
    pub nulls: NullMode,
    /// Instantiates the function for parameters and (non-Nullable) argument types.
    pub build: fn(&BuildArgs) -> Result<AggFuncRef>,
}

/// Every base function.
pub fn base_defs() -> Vec<BaseDef> {
    let mut v = Vec::new();
    v.extend(count_sum::defs());
    v.extend(minmax::defs());
    v.extend(uniq::defs());
    v.extend(group_array::defs());
    v.extend(quantile::defs());
    v.extend(moments::defs());
    v.extend(sum_map::defs());
    v.extend(group_bit::defs());
    v.extend(entropy::defs());
    v.extend(skew_kurt::defs());
    v.extend(delta_sum::defs());
    v.extend(linear_regression::defs());
    v.extend(regr::defs());
    v.extend(top_k_weighted::defs());
    v.extend(moving::defs());
    v.extend(retention::defs());
    v.extend(window_funnel::defs());
    v
}

fn lookup(name: &str) -> Option<BaseDef> {
    let defs = base_defs();
    let mut ci = None;
    for (i, d) in defs.iter().enumerate() {
        if d.name == name || d.aliases.contains(&name) {
            return defs.into_iter().nth(i);
        }
        if ci.is_none()
            && d.case_insensitive
            && (d.name.eq_ignore_ascii_case(name)
                || d.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
        {
            ci = Some(i);
        }
    }
    ci.and_then(|i| defs.into_iter().nth(i))
}

/// Combinator suffixes, longest first where one is a suffix of another.
pub const COMBINATORS: &[&str] = &[
    "MergeState",
    "OrDefault",
    "OrNull",
    "ForEach",
    "Distinct",
    "State",
    "Merge",
    "Array",
    "If",
];

/// Splits `quantiles(0.5, 0.9)` into `quantiles` and its parameters.
pub fn parse_name(full: &str) -> Result<(String, Vec<Param>)> {
    let full = full.trim();
    let Some(open) = full.find('(') else {
        return Ok((full.to_string(), Vec::new()));
    };
    let Some(inner) = full[open + 1..].strip_suffix(')') else {
        ch_bail!(SYNTAX_ERROR, "Cannot parse aggregate function name {full}");
    };
    let mut params = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut chars = inner.chars();
    let mut parts = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_str => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '\'' => {
                in_str = !in_str;
                cur.push(c);
            }
            ',' if !in_str => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() || !parts.is_empty() {
        parts.push(cur);
    }
    for p in parts {
        params.push(parse_param(p.trim())?);
    }
    Ok((full[..open].trim().to_string(), params))
}

fn parse_param(p: &str) -> Result<Param> {
    if let Some(s) = p.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        let mut out = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c == '\\' {
                if let Some(n) = it.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        return Ok(Param::Str(out));
    }
    if let Ok(v) = p.parse::<u64>() {
        return Ok(Param::UInt(v));
    }
    if let Ok(v) = p.parse::<i64>() {
        return Ok(Param::Int(v));
    }
    if let Ok(v) = p.parse::<f64>() {
        return Ok(Param::Float(v));
    }
    ch_bail!(
        BAD_ARGUMENTS,
        "Parameters to aggregate functions must be literals, got {p}"
    )
}

/// True when `name` (without parameters) names a base function or a valid combination.
pub fn is_known(name: &str) -> bool {
    if lookup(name).is_some() {
        return true;
    }
    COMBINATORS.iter().any(|suffix| {
        name.len() > suffix.len()
            && name.ends_with(suffix)
            && is_known(&name[..name.len() - suffix.len()])
    })
}

/// Instantiates the function called `full_name` (with optional parameters) for arguments
/// of ClickHouse types `args`.
pub fn build(full_name: &str, args: &[ChType]) -> Result<AggFuncRef> {
    let (name, params) = parse_name(full_name)?;
    build_named(&name, &params, args)
}

/// Like [`build`] with the name already split from its parameters.
pub fn build_named(name: &str, params: &[Param], args: &[ChType]) -> Result<AggFuncRef> {
    // LowCardinality is transparent to aggregates.
    let args: Vec<ChType> = args.iter().map(strip_low_cardinality).collect();
    if let Some(def) = lookup(name) {
        return build_base(&def, params, &args);
    }
    for suffix in COMBINATORS {
        if name.len() > suffix.len() && name.ends_with(suffix) {
            let nested = &name[..name.len() - suffix.len()];
            if is_known(nested) {
                return combinators::build(suffix, nested, params, &args);
            }
        }
    }
    ch_bail!(
        UNKNOWN_AGGREGATE_FUNCTION,
        "Unknown aggregate function {name}"
    )
}

/// `LowCardinality(T)` → `T` (also inside `Nullable`).
pub fn strip_low_cardinality(t: &ChType) -> ChType {
    match t {
        ChType::LowCardinality(inner) => strip_low_cardinality(inner),
        ChType::Nullable(inner) => ChType::Nullable(Box::new(strip_low_cardinality(inner))),
        t => t.clone(),
    }
}

fn build_base(def: &BaseDef, params: &[Param], args: &[ChType]) -> Result<AggFuncRef> {
    let any_nullable = args
        .iter()
        .any(|t| t.is_nullable() || matches!(t, ChType::Nothing));
    if def.nulls == NullMode::Own || !any_nullable {
        return (def.build)(&BuildArgs {
            name: def.name,
            params,
            args,
        });
    }
    if args.iter().any(|t| matches!(t.base(), ChType::Nothing)) && def.nulls == NullMode::Skip {
        return Ok(combinators::nothing(&display_name(def.name, params), args));
    }
    let stripped: Vec<ChType> = args
        .iter()
        .map(|t| match t.base() {
            // A NULL literal: aggregate it as UInt8 rows that are all skipped.
            ChType::Nothing => ChType::UInt8,
            _ => t.non_nullable(),
        })
        .collect();
    let nested = (def.build)(&BuildArgs {
        name: def.name,
        params,
        args: &stripped,
    })?;
    Ok(combinators::null(
        nested,
        args.to_vec(),
        def.nulls == NullMode::Skip,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        let (n, p) = parse_name("quantiles(0.5, 0.9)").unwrap();
        assert_eq!(n, "quantiles");
        assert_eq!(p, vec![Param::Float(0.5), Param::Float(0.9)]);
        let (n, p) = parse_name("topK(3)").unwrap();
        assert_eq!((n.as_str(), p), ("topK", vec![Param::UInt(3)]));
        assert_eq!(parse_name("sum").unwrap().1, vec![]);
        assert!(parse_name("quantile(0.5").is_err());
        assert!(is_known("sumIfState"));
        assert!(is_known("groupArrayArray"));
        assert!(!is_known("sumFoo"));
    }
}
