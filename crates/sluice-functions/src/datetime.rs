//! ClickHouse date and time functions: clocks (`now`, `today`, …), components and
//! truncations (`toYear`, `toStartOfHour`, weeks in every mode), arithmetic (`addDays`, the
//! targets of `INTERVAL` rewriting, `dateDiff`), `toStartOfInterval`/`date_trunc`/`date_add`,
//! and `formatDateTime`.
//!
//! Values are read through [`local`] as local civil times in the right zone: the explicit
//! time zone argument, else the column type's zone, else the session zone
//! (`datafusion.execution.time_zone`, UTC when unset).
//!
//! Submodules: [`tz`] (zones and calendar math), [`args`] (argument plumbing shared with the
//! conversion family), [`local`], [`week`], [`parts`], [`arith`], [`interval`], [`format`],
//! [`now`], [`unix64`], [`to_interval`], [`make`] (makeDate, makeDate32), [`make_time`]
//! (makeDateTime, makeDateTime64), [`time_slot`].

pub mod args;
pub mod arith;
pub mod format;
pub mod interval;
pub mod local;
pub mod make;
pub mod make_time;
pub mod now;
pub mod parts;
pub mod time_slot;
pub mod to_interval;
pub mod tz;
pub mod unix64;
pub mod week;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub mod testutil;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = parts::functions();
    v.extend(arith::functions());
    v.extend(interval::functions());
    v.extend(format::functions());
    v.extend(now::functions());
    v.extend(unix64::functions());
    v.extend(make::functions());
    v.extend(make_time::functions());
    v.extend(time_slot::functions());
    v.extend(to_interval::functions());
    v
}
