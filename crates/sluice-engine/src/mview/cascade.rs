//! The view chains below a table (`system.kafka_consumers.dependencies` and
//! `missing_dependencies`), as ClickHouse 26.9 lists them. Observed with chdb 26.9 reading a
//! tansu broker (`CREATE TABLE k … ENGINE = Kafka(…)`, views `v1` (k → t1), `d2.v2`
//! (t1 → d2.t2), `v3` (t1 → t3), `v4` (d2.t2 → t4), `v5` (k → t4)):
//! - each path starts at a view reading the table and alternates view, target, view, …
//!   down the cascade; a path ends at a target no view reads: `['default.v5','default.t4']`,
//!   `['default.v1','default.t1','default.v3','default.t3']`,
//!   `['default.v1','default.t1','d2.v2','d2.t2','default.v4','default.t4']`;
//! - a view whose target is missing (detached, dropped) ends its path without the target,
//!   and that path is also in `missing_dependencies`: after `DETACH TABLE d2.t2`,
//!   `['default.v1','default.t1','d2.v2']` in both; after `DETACH TABLE t1`, `['default.v1']`;
//! - a detached view is not in any path.
//!
//! ClickHouse's order of the paths follows its dependency sets and changes from one run to
//! the next; Sluice lists them depth-first with the views of each table sorted by name.

use std::sync::Arc;

use super::MaterializedView;
use crate::catalog::{Catalog, TableKind};

/// `(dependencies, missing_dependencies)`: qualified names (`db.name`) per path.
pub type ViewChains = (Vec<Vec<String>>, Vec<Vec<String>>);

/// The materialized views reading `db.table`, sorted by name.
pub fn views_reading(catalog: &Catalog, db: &str, table: &str) -> Vec<Arc<MaterializedView>> {
    let mut views: Vec<Arc<MaterializedView>> = catalog
        .all_tables()
        .into_iter()
        .filter_map(|e| match &e.kind {
            TableKind::MaterializedView(mv)
                if mv
                    .source
                    .as_ref()
                    .is_some_and(|(d, t)| d == db && t == table) =>
            {
                Some(Arc::clone(mv))
            }
            _ => None,
        })
        .collect();
    views.sort_by(|a, b| a.name.cmp(&b.name));
    views
}

/// Every path of views and targets below `db.table` (see the module docs).
pub fn view_chains(catalog: &Catalog, db: &str, table: &str) -> ViewChains {
    let mut chains = (Vec::new(), Vec::new());
    let mut path = Vec::new();
    walk(catalog, (db, table), &mut path, &mut chains);
    chains
}

/// Extends `path` with each view reading `source` and its target, recursing into the
/// target's own views; a finished path goes to `out`.
fn walk(catalog: &Catalog, source: (&str, &str), path: &mut Vec<String>, out: &mut ViewChains) {
    for mv in views_reading(catalog, source.0, source.1) {
        let depth = path.len();
        path.push(format!("{}.{}", mv.database, mv.name));
        let (tdb, tname) = (&mv.target.0, &mv.target.1);
        let attached = catalog.table(tdb, tname).is_some_and(|t| t.table.is_some());
        if !attached {
            out.0.push(path.clone());
            out.1.push(path.clone());
        } else {
            let target = format!("{tdb}.{tname}");
            // A view writing back into a table already on the path would loop forever.
            let cycle = path.contains(&target);
            path.push(target);
            if cycle || views_reading(catalog, tdb, tname).is_empty() {
                out.0.push(path.clone());
            } else {
                walk(catalog, (tdb, tname), path, out);
            }
        }
        path.truncate(depth);
    }
}
