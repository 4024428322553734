//! `concat`, `concatWithSeparator` (`concat_ws`) and `format`.
//!
//! Arguments of any type are written in ClickHouse's text form (`concat('a', 1, [2])` =
//! `a1[2]`); a NULL argument makes the result NULL.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::col::{StrBuilder, StrCol};
use super::rules::{arity, binary_arg, is_string, want_const, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs, scalar_bytes};
use crate::ch_bail;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("concat", concat_type, concat)
            .case_insensitive()
            .build(),
        ChUdf::new("concatAssumeInjective", concat_type, concat).build(),
        ChUdf::new("concatWithSeparator", concat_ws_type, concat_ws)
            .ci_aliases(&["concat_ws"])
            .build(),
        ChUdf::new("format", format_type, format).build(),
    ]
}

fn any_binary(a: &TypeArgs, from: usize) -> bool {
    (from..a.types.len()).any(|i| binary_arg(a, i))
}

fn concat_type(a: &TypeArgs) -> Result<Ret> {
    Ok(Ret {
        t: ChType::String,
        binary: any_binary(a, 0),
    })
}

/// Appends argument `k`'s row `i` as text (`toString`'s form; DateTime without a time zone
/// renders in UTC, Sluice's default session zone).
fn put(a: &Args, k: usize, i: usize, out: &mut Vec<u8>) -> Result<()> {
    if is_string(&a.types[k]) {
        out.extend_from_slice(StrCol::new(&a.cols[k], a.name)?.get(i));
    } else {
        let ctx = sluice_formats::text::TextContext::default();
        sluice_formats::text::write_value(out, a.cols[k].as_ref(), i, &a.types[k], &ctx);
    }
    Ok(())
}

fn concat(a: &Args) -> Result<ArrayRef> {
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    let strs: Vec<Option<StrCol>> = a
        .cols
        .iter()
        .zip(&a.types)
        .map(|(c, t)| {
            if is_string(t) {
                StrCol::new(c, a.name).ok()
            } else {
                None
            }
        })
        .collect();
    for i in 0..a.rows {
        for (k, sc) in strs.iter().enumerate() {
            match sc {
                Some(s) => b.push_bytes(s.get(i)),
                None => put(a, k, i, b.current())?,
            }
        }
        b.finish_row()?;
    }
    b.finish()
}

fn concat_ws_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, usize::MAX)?;
    want_string(a, 0)?;
    Ok(Ret {
        t: ChType::String,
        binary: any_binary(a, 0),
    })
}

fn concat_ws(a: &Args) -> Result<ArrayRef> {
    let sep = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        for k in 1..a.cols.len() {
            if k > 1 {
                b.push_bytes(sep.get(i));
            }
            put(a, k, i, b.current())?;
        }
        b.finish_row()?;
    }
    b.finish()
}

/// A piece of a `format` pattern.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(Vec<u8>),
    Arg(usize),
}

/// Parses a `format` pattern (`{}` automatic, `{N}` explicit, `{{`/`}}` literal braces).
fn parse_pattern(p: &[u8], nargs: usize) -> Result<Vec<Piece>> {
    let mut out = Vec::new();
    let mut text = Vec::new();
    let mut auto: Option<bool> = None;
    let mut next = 0usize;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'{' if p.get(i + 1) == Some(&b'{') => {
                text.push(b'{');
                i += 2;
            }
            b'}' if p.get(i + 1) == Some(&b'}') => {
                text.push(b'}');
                i += 2;
            }
            b'{' => {
                let Some(close) = p[i + 1..].iter().position(|c| *c == b'}') else {
                    ch_bail!(BAD_ARGUMENTS, "Unclosed '{{' in format string");
                };
                let inner = &p[i + 1..i + 1 + close];
                let idx = if inner.is_empty() {
                    if auto == Some(false) {
                        ch_bail!(
                            BAD_ARGUMENTS,
                            "Cannot switch from manual field specification to automatic field numbering"
                        );
                    }
                    auto = Some(true);
                    next += 1;
                    next - 1
                } else {
                    if auto == Some(true) {
                        ch_bail!(
                            BAD_ARGUMENTS,
                            "Cannot switch from automatic field numbering to manual field specification"
                        );
                    }
                    auto = Some(false);
                    match std::str::from_utf8(inner)
                        .ok()
                        .and_then(|s| s.parse::<usize>().ok())
                    {
                        Some(n) => n,
                        None => ch_bail!(
                            BAD_ARGUMENTS,
                            "Not a number in curly braces at position {i}"
                        ),
                    }
                };
                if idx >= nargs {
                    ch_bail!(
                        BAD_ARGUMENTS,
                        "Not enough arguments to fill the placeholders in the format string"
                    );
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Arg(idx));
                i += close + 2;
            }
            b'}' => ch_bail!(BAD_ARGUMENTS, "Unmatched '}}' in format string"),
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

fn format_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, usize::MAX)?;
    want_string(a, 0)?;
    want_const(a, 0)?;
    if let Some(Some(p)) = a.consts.first().map(|c| c.as_ref().and_then(scalar_bytes)) {
        parse_pattern(&p, a.types.len() - 1)?;
    }
    Ok(Ret {
        t: ChType::String,
        binary: any_binary(a, 1),
    })
}

fn format(a: &Args) -> Result<ArrayRef> {
    let p = a
        .consts
        .first()
        .and_then(|c| c.as_ref().and_then(scalar_bytes))
        .unwrap_or_default();
    let pieces = parse_pattern(&p, a.cols.len() - 1)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        for piece in &pieces {
            match piece {
                Piece::Text(t) => b.push_bytes(t),
                Piece::Arg(k) => put(a, k + 1, i, b.current())?,
            }
        }
        b.finish_row()?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    #[test]
    fn concats() {
        // Oracle: concat('a', 1, 2.5, NULL) = NULL; concat(1, 2) = '12' (String);
        // concat([1], 'x') = '[1]x'; concat((1, 'a'), 'x') = "(1,'a')x"; concat('a') = 'a';
        // concat() = ''.
        assert_eq!(
            one(call("concat", vec![s("a"), n(1), f(2.5), null()])),
            "Nullable(Nothing)\t\\N"
        );
        assert_eq!(one(call("concat", vec![n(1), n(2)])), "String\t12");
        assert_eq!(
            one(call("concat", vec![call("array", vec![n(1)]), s("x")])),
            "String\t[1]x"
        );
        assert_eq!(
            one(call(
                "concat",
                vec![call("tuple", vec![n(1), s("a")]), s("x")]
            )),
            "String\t(1,\\'a\\')x"
        );
        assert_eq!(one(call("concat", vec![s("a")])), "String\ta");
        assert_eq!(one(call("concat", vec![])), "String\t");
        assert_eq!(
            one(call("CONCAT", vec![s("a"), s("b"), f(2.5)])),
            "String\tab2.5"
        );
    }

    #[test]
    fn nullable_columns() {
        // Oracle: concat('a', toNullable('b')) :: Nullable(String); NULL rows stay NULL.
        use datafusion::arrow::array::StringArray;
        let c = col(
            "Nullable(String)",
            std::sync::Arc::new(StringArray::from(vec![Some("b"), None])),
        );
        let e = call("concat", vec![s("a"), c]);
        assert_eq!(rows(e, 2), "ab\n\\N");
        let c = col(
            "Nullable(String)",
            std::sync::Arc::new(StringArray::from(vec![Some("b")])),
        );
        assert_eq!(one(call("concat", vec![s("a"), c])), "Nullable(String)\tab");
    }

    #[test]
    fn low_cardinality_results() {
        // Oracle: toTypeName(concat(toLowCardinality('a'), 'b')) = LowCardinality(String);
        // toTypeName(concat(toLowCardinality('a'), materialize('b'))) = String.
        use datafusion::arrow::array::{DictionaryArray, StringArray};
        use datafusion::arrow::datatypes::Int32Type;
        let lc = || {
            let d: DictionaryArray<Int32Type> = vec!["a"].into_iter().collect();
            col("LowCardinality(String)", std::sync::Arc::new(d))
        };
        assert_eq!(
            one(call("concat", vec![lc(), s("b")])),
            "LowCardinality(String)\tab"
        );
        let b = col("String", std::sync::Arc::new(StringArray::from(vec!["b"])));
        assert_eq!(one(call("concat", vec![lc(), b])), "String\tab");
    }

    #[test]
    fn separators_and_format() {
        // Oracle: concatWithSeparator(',', 'a', 1, NULL) = NULL; (',', 'a', 'b') = 'a,b';
        // concat_ws('-', 'a') = 'a'; format('{} {}', 'a', 1) = 'a 1';
        // format('{1} {0}', 'a', 'b') = 'b a'; format('{{}} {}', 'x') = '{} x';
        // format('{} {}', 'a') → 36; format('{0} {}', 'a') → 36.
        assert_eq!(
            one(call(
                "concatWithSeparator",
                vec![s(","), s("a"), n(1), null()]
            )),
            "Nullable(Nothing)\t\\N"
        );
        assert_eq!(
            one(call("concatWithSeparator", vec![s(","), s("a"), s("b")])),
            "String\ta,b"
        );
        assert_eq!(one(call("concat_ws", vec![s("-"), s("a")])), "String\ta");
        assert_eq!(
            one(call("format", vec![s("{} {}"), s("a"), n(1)])),
            "String\ta 1"
        );
        assert_eq!(
            one(call("format", vec![s("{1} {0}"), s("a"), s("b")])),
            "String\tb a"
        );
        assert_eq!(
            one(call("format", vec![s("{{}} {}"), s("x")])),
            "String\t{} x"
        );
        assert_code(call("format", vec![s("{} {}"), s("a")]), 36);
        assert_code(call("format", vec![s("{0} {}"), s("a")]), 36);
    }
}
