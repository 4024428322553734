//! ClickHouse join strictness (`ALL`, `ANY`, `SEMI`, `ANTI`, `ASOF`) and `GLOBAL`, which
//! sqlparser's join grammar has no place for.
//!
//! The token rewrite normalises each join operator (`GLOBAL ANY LEFT OUTER JOIN`,
//! `SEMI LEFT JOIN`, `LEFT ANTI JOIN`, …) to a plain sqlparser join and, for the strictness
//! that changes the result, puts a marker relation in front of it:
//!
//! `l ANY LEFT JOIN r ON …` → `l CROSS JOIN __sluice_join_any() LEFT JOIN r ON …`
//!
//! The marker is a zero-column table function; the engine finds it in the plan as the right
//! side of a cross join that is the left input of the join it qualifies, removes it and
//! gives that join the strictness ([`JoinStrictness`]). `SEMI`/`ANTI` without a side mean
//! `LEFT`. `ALL` (the default) and `GLOBAL` are dropped. `ASOF` may be `INNER` (the
//! default) or `LEFT`. ClickHouse's own refusals are mirrored: `ANY FULL` and `ASOF
//! RIGHT`/`FULL` (`NOT_IMPLEMENTED`), `ANY`/`ALL`/`ASOF` with
//! `CROSS` and `SEMI`/`ANTI` with `INNER`/`FULL`/`CROSS` (`SYNTAX_ERROR`).

use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan};
use sluice_common::Error;

use crate::tokens::{is_word, kw, tok};

/// The strictness a marker relation gives the join after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinStrictness {
    /// `ANY`: at most one match per row of the preserved side (`INNER`: per key).
    Any,
    /// `SEMI`: rows of the side that have a match, with the first match's columns.
    Semi,
    /// `ANTI`: rows of the side without a match, the other side's columns at defaults.
    Anti,
    /// `ASOF` (`INNER` or `LEFT`): per left row, of the rows with equal keys that satisfy
    /// the one inequality, the closest.
    Asof,
}

impl JoinStrictness {
    /// The table function name of the marker relation.
    pub fn marker_name(self) -> &'static str {
        match self {
            JoinStrictness::Any => "__sluice_join_any",
            JoinStrictness::Semi => "__sluice_join_semi",
            JoinStrictness::Anti => "__sluice_join_anti",
            JoinStrictness::Asof => "__sluice_join_asof",
        }
    }

    /// Every strictness that has a marker.
    pub const ALL: [JoinStrictness; 4] = [
        JoinStrictness::Any,
        JoinStrictness::Semi,
        JoinStrictness::Anti,
        JoinStrictness::Asof,
    ];

    /// The strictness whose marker is the table function `name`, if any.
    pub fn from_marker_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.marker_name() == name)
    }
}

const SIDES: &[&str] = &["LEFT", "RIGHT", "INNER", "FULL", "CROSS", "PASTE"];
const STRICTNESS: &[&str] = &["ALL", "ANY", "SEMI", "ANTI", "ASOF"];

fn is_operator_word(t: &Token) -> bool {
    is_word(t, "GLOBAL")
        || is_word(t, "OUTER")
        || SIDES.iter().any(|k| is_word(t, k))
        || STRICTNESS.iter().any(|k| is_word(t, k))
}

/// Drops `GLOBAL` before `IN`/`NOT IN` and rewrites every join operator as described in
/// the module doc.
pub(crate) fn rewrite_join_operators(
    tokens: Vec<TokenWithSpan>,
) -> Result<Vec<TokenWithSpan>, Error> {
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i].token;
        let next = tokens.get(i + 1).map(|t| &t.token);
        if is_word(t, "GLOBAL") && next.is_some_and(|n| is_word(n, "IN") || is_word(n, "NOT")) {
            i += 1;
            continue;
        }
        // A join operator: a run of operator words ending with `JOIN`. A run right after
        // `UNION`/`SELECT`/`BY` is `ALL`/`ANY` in another role.
        let prev = out.last().map(|p| &p.token);
        let after_other_role = prev.is_some_and(|p| {
            is_word(p, "UNION")
                || is_word(p, "SELECT")
                || is_word(p, "BY")
                || is_word(p, "EXCEPT")
                || is_word(p, "INTERSECT")
        });
        if is_operator_word(t) && !after_other_role {
            let mut j = i;
            while tokens.get(j).is_some_and(|x| is_operator_word(&x.token)) {
                j += 1;
            }
            if tokens.get(j).is_some_and(|x| is_word(&x.token, "JOIN")) {
                emit_join(&tokens[i..j], &mut out)?;
                i = j;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    Ok(out)
}

/// Writes the sqlparser form of one join operator (`words` are the words before `JOIN`;
/// `JOIN` itself is copied by the caller's loop).
fn emit_join(words: &[TokenWithSpan], out: &mut Vec<TokenWithSpan>) -> Result<(), Error> {
    let mut strictness: Option<&str> = None;
    let mut side: Option<&str> = None;
    let mut outer = false;
    for w in words {
        if let Some(s) = STRICTNESS.iter().find(|k| is_word(&w.token, k)) {
            strictness = Some(s);
        } else if let Some(s) = SIDES.iter().find(|k| is_word(&w.token, k)) {
            side = Some(s);
        } else if is_word(&w.token, "OUTER") {
            outer = true;
        }
    }
    let marker = match strictness {
        None | Some("ALL") => {
            if strictness.is_some() && side == Some("CROSS") {
                return Err(cross_with_strictness());
            }
            None
        }
        Some("ASOF") => match side {
            None | Some("INNER" | "LEFT") => Some(JoinStrictness::Asof),
            Some("CROSS") => return Err(cross_with_strictness()),
            Some(_) => {
                return Err(sluice_common::ch_err!(
                    NOT_IMPLEMENTED,
                    "Wrong ASOF JOIN type. Only ASOF and LEFT ASOF joins are supported"
                ));
            }
        },
        Some("ANY") => match side {
            Some("FULL") => {
                return Err(sluice_common::ch_err!(
                    NOT_IMPLEMENTED,
                    "ANY FULL JOINs are not implemented"
                ));
            }
            Some("CROSS") => return Err(cross_with_strictness()),
            _ => Some(JoinStrictness::Any),
        },
        Some(s) => {
            match side {
                None => side = Some("LEFT"),
                Some("LEFT" | "RIGHT") => {}
                Some(_) => {
                    return Err(sluice_common::ch_err!(
                        SYNTAX_ERROR,
                        "SEMI|ANTI JOIN should be LEFT or RIGHT"
                    ));
                }
            }
            Some(if s == "SEMI" {
                JoinStrictness::Semi
            } else {
                JoinStrictness::Anti
            })
        }
    };
    if let Some(m) = marker {
        out.push(kw("CROSS"));
        out.push(kw("JOIN"));
        out.push(tok(Token::make_word(m.marker_name(), None)));
        out.push(tok(Token::LParen));
        out.push(tok(Token::RParen));
        // SEMI/ANTI are planned as the outer join of their side; the marker decides.
        outer = false;
    }
    if let Some(s) = side {
        out.push(kw(s));
    }
    if outer {
        out.push(kw("OUTER"));
    }
    Ok(())
}

fn cross_with_strictness() -> Error {
    sluice_common::ch_err!(
        SYNTAX_ERROR,
        "You must not specify ANY or ALL for CROSS JOIN"
    )
}
