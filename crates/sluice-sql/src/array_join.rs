//! `[LEFT | INNER] ARRAY JOIN expr [AS name], …`: sqlparser reads one table factor after
//! `ARRAY JOIN`, so any expression (`[1, 2] AS x`, `arrayMap(…) AS y`) and the comma list
//! of arrays joined together need an encoding. Each item becomes the marker table function
//! [`ARRAY_JOIN_MARKER`]`(expr) [AS name]`; the first item is the relation of the
//! `JoinOperator::{ArrayJoin, LeftArrayJoin, InnerArrayJoin}` sqlparser builds, the others
//! follow as further `FROM` items. [`array_join_item`] decodes one.

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, ObjectNamePart, TableFactor, TableFunctionArgs,
};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use crate::tokens::{is_word, kw, scan_same_depth, tok};

/// The table-function name that marks one item of an `ARRAY JOIN` list.
pub const ARRAY_JOIN_MARKER: &str = "__sluice_array_join";

/// Words that end an `ARRAY JOIN` list at depth 0.
const STOP_WORDS: &[&str] = &[
    "WHERE",
    "PREWHERE",
    "GROUP",
    "ORDER",
    "LIMIT",
    "HAVING",
    "SETTINGS",
    "FORMAT",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "WINDOW",
    "QUALIFY",
    "LEFT",
    "RIGHT",
    "INNER",
    "FULL",
    "CROSS",
    "JOIN",
    "ARRAY",
    "GLOBAL",
    "ANY",
    "ASOF",
    "SEMI",
    "ANTI",
    "PASTE",
    "OUTER",
];

fn is_stop(t: &Token) -> bool {
    STOP_WORDS.iter().any(|w| is_word(t, w))
}

/// Rewrites every `ARRAY JOIN` list of the token stream into marker items.
pub(crate) fn rewrite_array_join(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len() + 8);
    let mut i = 0;
    while i < tokens.len() {
        let starts = is_word(&tokens[i].token, "ARRAY")
            && tokens.get(i + 1).is_some_and(|t| is_word(&t.token, "JOIN"));
        if !starts {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        out.push(tokens[i].clone());
        out.push(tokens[i + 1].clone());
        let end = scan_same_depth(&tokens, i + 2, is_stop);
        let list = &tokens[i + 2..end];
        let mut first = true;
        for item in split_items(list) {
            if !first {
                out.push(tok(Token::Comma));
            }
            first = false;
            out.extend(marker_item(item));
        }
        i = end;
    }
    out
}

fn split_items(list: &[TokenWithSpan]) -> Vec<&[TokenWithSpan]> {
    let mut items = Vec::new();
    let mut start = 0;
    while start < list.len() {
        let end = scan_same_depth(list, start, |t| *t == Token::Comma);
        items.push(&list[start..end]);
        start = end + 1;
    }
    items
}

fn marker_item(item: &[TokenWithSpan]) -> Vec<TokenWithSpan> {
    let n = item.len();
    let (expr, alias) = if n >= 3
        && is_word(&item[n - 2].token, "AS")
        && matches!(item[n - 1].token, Token::Word(_))
    {
        (&item[..n - 2], Some(&item[n - 1]))
    } else {
        (item, None)
    };
    let mut out = vec![
        tok(Token::Word(Word {
            value: ARRAY_JOIN_MARKER.to_string(),
            quote_style: Some('`'),
            keyword: Keyword::NoKeyword,
        })),
        tok(Token::LParen),
    ];
    out.extend_from_slice(expr);
    out.push(tok(Token::RParen));
    if let Some(a) = alias {
        out.push(kw("AS"));
        out.push(a.clone());
    }
    out
}

/// For an `ARRAY JOIN` item (a marker table function), the array expression and its alias.
pub fn array_join_item(factor: &TableFactor) -> Option<(Expr, Option<Ident>)> {
    let TableFactor::Table {
        name,
        alias,
        args: Some(TableFunctionArgs { args, .. }),
        ..
    } = factor
    else {
        return None;
    };
    let [ObjectNamePart::Identifier(id)] = name.0.as_slice() else {
        return None;
    };
    if id.value != ARRAY_JOIN_MARKER {
        return None;
    }
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))] = args.as_slice() else {
        return None;
    };
    Some((e.clone(), alias.as_ref().map(|a| a.name.clone())))
}

#[cfg(test)]
mod tests {
    use crate::parse_statement;
    use crate::sql_ast::{JoinOperator, SetExpr};
    use crate::{Statement, array_join_item};

    fn items(sql: &str) -> (usize, Vec<(String, Option<String>)>) {
        let parsed = parse_statement(sql).expect("parses");
        let Statement::Query(q) = parsed.statement else {
            panic!("not a query")
        };
        let SetExpr::Select(s) = q.body.as_ref() else {
            panic!("not a select")
        };
        let mut out = Vec::new();
        let mut joins = 0;
        for twj in &s.from {
            for j in &twj.joins {
                if matches!(j.join_operator, JoinOperator::ArrayJoin) {
                    joins += 1;
                }
                if let Some((e, a)) = array_join_item(&j.relation) {
                    out.push((e.to_string(), a.map(|a| a.value)));
                }
            }
            if let Some((e, a)) = array_join_item(&twj.relation) {
                out.push((e.to_string(), a.map(|a| a.value)));
            }
        }
        (joins, out)
    }

    #[test]
    fn expressions_and_lists_are_encoded() {
        let (joins, got) = items("SELECT x, y FROM t ARRAY JOIN [1, 2] AS x, arr AS y WHERE x > 1");
        assert_eq!(joins, 1);
        assert_eq!(
            got,
            vec![
                ("[1, 2]".to_string(), Some("x".to_string())),
                ("arr".to_string(), Some("y".to_string()))
            ]
        );
        let (_, got) = items("SELECT arr FROM t ARRAY JOIN arr");
        assert_eq!(got, vec![("arr".to_string(), None)]);
    }
}
