//! Plain substring replacement: `replaceAll` (`replace`) and `replaceOne`. An empty needle
//! leaves the string unchanged.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use memchr::memmem;

use super::col::{StrBuilder, StrCol};
use super::rules::{arity, string_like, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("replaceAll", replace_type, replace_all)
            .ci_aliases(&["replace"])
            .build(),
        ChUdf::new("replaceOne", replace_type, replace_one).build(),
    ]
}

fn replace_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 3, 3)?;
    for i in 0..3 {
        want_string(a, i)?;
    }
    Ok(string_like(a, 0))
}

fn replace(a: &Args, all: bool) -> Result<ArrayRef> {
    let h = StrCol::new(&a.cols[0], a.name)?;
    let n = StrCol::new(&a.cols[1], a.name)?;
    let r = StrCol::new(&a.cols[2], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        let (hay, needle, rep) = (h.get(i), n.get(i), r.get(i));
        if needle.is_empty() {
            b.append(hay)?;
            continue;
        }
        let mut pos = 0;
        for m in memmem::find_iter(hay, needle) {
            if m < pos {
                continue;
            }
            b.push_bytes(&hay[pos..m]);
            b.push_bytes(rep);
            pos = m + needle.len();
            if !all {
                break;
            }
        }
        b.push_bytes(&hay[pos..]);
        b.finish_row()?;
    }
    b.finish()
}

fn replace_all(a: &Args) -> Result<ArrayRef> {
    replace(a, true)
}

fn replace_one(a: &Args) -> Result<ArrayRef> {
    replace(a, false)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    #[test]
    fn plain_replace() {
        // Oracle: replaceAll('aaa', 'a', 'bb') = 'bbbbbb'; replaceOne('aaa', 'a', 'b') = 'baa';
        // replaceAll('abc', '', 'x') = 'abc'; 00765: REPLACE('bar', 'r', 'z') = 'baz'.
        assert_eq!(
            one(call("replaceAll", vec![s("aaa"), s("a"), s("bb")])),
            "String\tbbbbbb"
        );
        assert_eq!(
            one(call("replaceOne", vec![s("aaa"), s("a"), s("b")])),
            "String\tbaa"
        );
        assert_eq!(
            one(call("replaceAll", vec![s("abc"), s(""), s("x")])),
            "String\tabc"
        );
        assert_eq!(
            one(call("REPLACE", vec![s("bar"), s("r"), s("z")])),
            "String\tbaz"
        );
        assert_eq!(
            one(call("replaceAll", vec![s("aaaa"), s("aa"), s("b")])),
            "String\tbb"
        );
    }
}
