//! [`SluiceDialect`]: sqlparser's `ClickHouseDialect` plus the expression forms it lacks.
//!
//! It reports itself as `ClickHouseDialect` (so sqlparser's ClickHouse-specific branches
//! apply) and adds, through the dialect hooks:
//! - tuple element access `t.1` / `(1, 2).2` → `tupleElement(t, 1)`;
//! - the ternary operator `c ? a : b` → `if(c, a, b)`;
//! - `count(*) FILTER (WHERE …)`;
//! - `CAST(x AS T)` and `x::T` with any ClickHouse type (`DateTime('UTC')`,
//!   `Enum8('a' = 1)`, `Tuple(a UInt8)`): the type is kept as its text in
//!   `DataType::Custom` (see [`crate::cast_type_text`]).

use std::any::TypeId;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, Ident, ObjectName, Value,
};
use datafusion::sql::sqlparser::dialect::{ClickHouseDialect, Dialect, Precedence};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

use crate::tokens::type_text_from_parser;

/// The dialect every Sluice parse uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct SluiceDialect {
    inner: ClickHouseDialect,
}

/// Precedence of tuple access (as sqlparser's `.`).
const TUPLE_ACCESS_PRECEDENCE: u8 = 100;

/// Precedence of the ternary `?:` operator: below every other operator (`a OR b ? x : y`
/// is `if(a OR b, x, y)`).
const TERNARY_PRECEDENCE: u8 = 1;

/// The tokenizer reads ClickHouse's ternary `?` as a placeholder token.
fn is_ternary_mark(token: &Token) -> bool {
    matches!(token, Token::Placeholder(p) if p == "?")
}

impl SluiceDialect {
    /// The dialect.
    pub fn new() -> Self {
        Self::default()
    }

    /// The dialect, in a `const` context (for statics).
    pub const fn const_new(inner: ClickHouseDialect) -> Self {
        Self { inner }
    }
}

/// `Number(".N")` tokens (the tokenizer's reading of `t.1`): the element index.
fn tuple_index(token: &Token) -> Option<&str> {
    match token {
        Token::Number(s, false) => {
            let digits = s.strip_prefix('.')?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
        }
        _ => None,
    }
}

/// `name(args…)` as an [`Expr::Function`].
pub fn function_call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// A ClickHouse type kept as text inside sqlparser's `DataType`.
pub fn custom_type(text: String) -> DataType {
    DataType::Custom(ObjectName::from(vec![Ident::new(text)]), vec![])
}

impl Dialect for SluiceDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<ClickHouseDialect>()
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.inner.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.inner.is_identifier_part(ch)
    }

    fn supports_string_literal_backslash_escape(&self) -> bool {
        self.inner.supports_string_literal_backslash_escape()
    }

    fn supports_select_wildcard_except(&self) -> bool {
        self.inner.supports_select_wildcard_except()
    }

    fn describe_requires_table_keyword(&self) -> bool {
        self.inner.describe_requires_table_keyword()
    }

    fn require_interval_qualifier(&self) -> bool {
        self.inner.require_interval_qualifier()
    }

    fn supports_limit_comma(&self) -> bool {
        self.inner.supports_limit_comma()
    }

    fn supports_insert_table_function(&self) -> bool {
        self.inner.supports_insert_table_function()
    }

    fn supports_insert_format(&self) -> bool {
        self.inner.supports_insert_format()
    }

    fn supports_numeric_literal_underscores(&self) -> bool {
        self.inner.supports_numeric_literal_underscores()
    }

    fn supports_partition_by_after_order_by(&self) -> bool {
        self.inner.supports_partition_by_after_order_by()
    }

    fn supports_array_join_syntax(&self) -> bool {
        self.inner.supports_array_join_syntax()
    }

    fn supports_dictionary_syntax(&self) -> bool {
        self.inner.supports_dictionary_syntax()
    }

    fn supports_lambda_functions(&self) -> bool {
        self.inner.supports_lambda_functions()
    }

    fn supports_from_first_select(&self) -> bool {
        self.inner.supports_from_first_select()
    }

    fn supports_order_by_all(&self) -> bool {
        self.inner.supports_order_by_all()
    }

    fn supports_group_by_expr(&self) -> bool {
        self.inner.supports_group_by_expr()
    }

    fn supports_group_by_with_modifier(&self) -> bool {
        self.inner.supports_group_by_with_modifier()
    }

    fn supports_nested_comments(&self) -> bool {
        self.inner.supports_nested_comments()
    }

    fn supports_optimize_table(&self) -> bool {
        self.inner.supports_optimize_table()
    }

    fn supports_prewhere(&self) -> bool {
        self.inner.supports_prewhere()
    }

    fn supports_with_fill(&self) -> bool {
        self.inner.supports_with_fill()
    }

    fn supports_limit_by(&self) -> bool {
        self.inner.supports_limit_by()
    }

    fn supports_interpolate(&self) -> bool {
        self.inner.supports_interpolate()
    }

    fn supports_settings(&self) -> bool {
        self.inner.supports_settings()
    }

    fn supports_select_format(&self) -> bool {
        self.inner.supports_select_format()
    }

    fn supports_select_wildcard_replace(&self) -> bool {
        self.inner.supports_select_wildcard_replace()
    }

    fn supports_comma_separated_trim(&self) -> bool {
        self.inner.supports_comma_separated_trim()
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        // ClickHouse accepts `count(*) FILTER (WHERE …)`.
        true
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        // CAST(expr AS <ClickHouse type>): keep the type's text.
        if let Token::Word(w) = &parser.peek_token_ref().token
            && w.keyword == Keyword::CAST
            && w.quote_style.is_none()
            && parser.peek_nth_token_ref(1).token == Token::LParen
        {
            let start = parser.index();
            let parsed = parse_cast(parser);
            return match parsed {
                Ok(Some(expr)) => Some(Ok(expr)),
                Ok(None) => {
                    // Not the `AS` form (`CAST(x, 'T')`): let sqlparser parse a function.
                    while parser.index() > start {
                        parser.prev_token();
                    }
                    None
                }
                Err(e) => Some(Err(e)),
            };
        }
        None
    }

    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        let token = &parser.peek_token_ref().token;
        if tuple_index(token).is_some() {
            return Some(Ok(TUPLE_ACCESS_PRECEDENCE));
        }
        if is_ternary_mark(token) {
            return Some(Ok(TERNARY_PRECEDENCE));
        }
        if matches!(token, Token::Word(w) if w.keyword == Keyword::MOD && w.quote_style.is_none()) {
            return Some(Ok(self.prec_value(Precedence::MulDivModOp)));
        }
        if *token == Token::Colon {
            // `:` is not an operator in ClickHouse; it ends the `?` branch of `c ? a : b`.
            return Some(Ok(0));
        }
        None
    }

    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        _precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        let next = parser.peek_token_ref().token.clone();
        if let Some(index) = tuple_index(&next) {
            let index = index.to_string();
            parser.next_token();
            return Some(Ok(function_call(
                "tupleElement",
                vec![expr.clone(), Expr::value(Value::Number(index, false))],
            )));
        }
        if is_ternary_mark(&next) {
            // `cond ? then : else` → `if(cond, then, else)`.
            parser.next_token();
            return Some((|| {
                let then = parser.parse_expr()?;
                parser.expect_token(&Token::Colon)?;
                let otherwise = parser.parse_expr()?;
                Ok(function_call("if", vec![expr.clone(), then, otherwise]))
            })());
        }
        let int_div = matches!(&next, Token::Word(w) if w.keyword == Keyword::DIV);
        let modulo = matches!(&next, Token::Word(w) if w.keyword == Keyword::MOD);
        if int_div || modulo {
            // `a DIV b` (intDiv) and `a MOD b` (modulo), at `*`'s precedence.
            parser.next_token();
            let prec = self.prec_value(Precedence::MulDivModOp);
            return Some(parser.parse_subexpr(prec).map(|right| Expr::BinaryOp {
                left: Box::new(expr.clone()),
                op: if int_div {
                    BinaryOperator::MyIntegerDivide
                } else {
                    BinaryOperator::Modulo
                },
                right: Box::new(right),
            }));
        }
        if next == Token::DoubleColon {
            parser.next_token();
            return Some(type_text_from_parser(parser).map(|text| Expr::Cast {
                kind: CastKind::DoubleColon,
                expr: Box::new(expr.clone()),
                data_type: custom_type(text),
                array: false,
                format: None,
            }));
        }
        None
    }
}

/// Parses `CAST(expr AS type)`; `Ok(None)` when the call is `CAST(expr, 'type')`.
fn parse_cast(parser: &mut Parser) -> Result<Option<Expr>, ParserError> {
    parser.next_token(); // CAST
    parser.expect_token(&Token::LParen)?;
    let expr = parser.parse_expr()?;
    if !parser.parse_keyword(Keyword::AS) {
        return Ok(None);
    }
    let text = type_text_from_parser(parser)?;
    parser.expect_token(&Token::RParen)?;
    Ok(Some(Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr),
        data_type: custom_type(text),
        array: false,
        format: None,
    }))
}
