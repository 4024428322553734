//! ClickHouse lets an alias defined anywhere in a SELECT be used anywhere in it (WHERE,
//! GROUP BY, other select items…). DataFusion only resolves aliases in ORDER BY/HAVING, so
//! references to aliases are replaced by the aliased expressions before planning.

use std::collections::{HashMap, HashSet};

use datafusion::sql::sqlparser::ast::visit_expressions_mut;
use datafusion::sql::sqlparser::ast::{Expr, Ident, SelectItem};
use std::ops::ControlFlow;

/// Alias name → the expression it names (with earlier aliases already expanded).
#[derive(Default, Debug, Clone)]
pub struct AliasMap {
    map: HashMap<String, Expr>,
}

impl AliasMap {
    /// Collects `expr AS name` items of a projection (plus `WITH expr AS name` items passed
    /// in `extra`), expanding aliases used inside other aliases' expressions.
    pub fn collect(projection: &[SelectItem], extra: &[(String, Expr)]) -> Self {
        let mut raw: Vec<(String, Expr)> = extra.to_vec();
        for item in projection {
            if let SelectItem::ExprWithAlias { expr, alias } = item {
                raw.push((alias.value.clone(), expr.clone()));
            }
        }
        let mut out = AliasMap::default();
        for (name, expr) in raw {
            let mut e = expr;
            let mut seen = HashSet::new();
            seen.insert(name.clone());
            out.substitute_guarded(&mut e, &seen);
            // An alias naming just the same identifier (`x AS x`) is no substitution.
            if matches!(&e, Expr::Identifier(Ident { value, .. }) if *value == name) {
                continue;
            }
            out.map.insert(name, e);
        }
        out
    }

    /// Replaces identifiers naming an alias by `(expr)`.
    pub fn substitute(&self, e: &mut Expr) {
        self.substitute_guarded(e, &HashSet::new());
    }

    /// Like [`AliasMap::substitute`] but leaves `name` alone: inside `expr AS name`,
    /// `name` means the column (`a * 2 AS a`).
    pub fn substitute_except(&self, e: &mut Expr, name: &str) {
        let mut skip = HashSet::new();
        skip.insert(name.to_string());
        self.substitute_guarded(e, &skip);
    }

    fn substitute_guarded(&self, e: &mut Expr, skip: &HashSet<String>) {
        if self.map.is_empty() {
            return;
        }
        let _ = visit_expressions_mut(e, |x: &mut Expr| {
            if let Expr::Identifier(id) = x
                && id.quote_style != Some('\'')
                && !skip.contains(&id.value)
                && let Some(rep) = self.map.get(&id.value)
            {
                *x = Expr::Nested(Box::new(rep.clone()));
            }
            ControlFlow::<()>::Continue(())
        });
    }
}
