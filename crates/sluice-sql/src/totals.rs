//! `WITH TOTALS` without `GROUP BY` (`SELECT count() FROM t WITH TOTALS`), which sqlparser
//! only accepts after `GROUP BY`: the token rewrite puts an empty `GROUP BY` marker before
//! it, `GROUP BY __sluice_no_keys WITH TOTALS`; [`is_no_keys_marker`] recognises the marker
//! key, which the engine drops (no keys: one group, the totals row equals it).

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::tokens::{is_word, kw, tok};

/// The grouping key standing for "no `GROUP BY`".
pub const NO_KEYS_MARKER: &str = "__sluice_no_keys";

/// Whether a `GROUP BY` key is the no-keys marker.
pub fn is_no_keys_marker(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(id) if id.value == NO_KEYS_MARKER && id.quote_style.is_none())
}

/// Inserts the marker before each `WITH TOTALS` whose select has no `GROUP BY`.
pub(crate) fn rewrite_totals_without_group_by(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len() + 3);
    for (i, t) in tokens.iter().enumerate() {
        if is_word(&t.token, "WITH")
            && tokens
                .get(i + 1)
                .is_some_and(|n| is_word(&n.token, "TOTALS"))
            && !select_has_group_by(&out)
        {
            out.push(kw("GROUP"));
            out.push(kw("BY"));
            out.push(tok(Token::make_word(NO_KEYS_MARKER, None)));
        }
        out.push(t.clone());
    }
    out
}

/// Whether the select the tokens so far end inside has a `GROUP BY` (scanning back to
/// its `SELECT` at the same parenthesis depth).
fn select_has_group_by(before: &[TokenWithSpan]) -> bool {
    let mut depth = 0i32;
    for t in before.iter().rev() {
        match &t.token {
            Token::RParen => depth += 1,
            Token::LParen => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            _ if depth == 0 && is_word(&t.token, "GROUP") => return true,
            _ if depth == 0 && is_word(&t.token, "SELECT") => return false,
            _ => {}
        }
    }
    false
}
