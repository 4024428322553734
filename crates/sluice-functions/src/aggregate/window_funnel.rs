//! `windowFunnel(window[, mode…])(timestamp, cond1, …, condN)`: the length of the longest
//! chain `cond1, cond2, …` met in that order, each step within `window` of the chain's
//! first event (`UInt8`).
//!
//! As ClickHouse: a row meeting several conditions adds one event per condition, the last
//! condition first; events are ordered by timestamp (stable, so that order stays within a
//! timestamp); a `cond1` event starts a chain again. Modes: `strict_deduplication` (a
//! condition met again before the next stops the chain), `strict_order` (an event of no
//! condition, or one out of order, stops it), `strict_increase` (each step at a strictly
//! later time). `allow_reentry` is not supported (`NOT_IMPLEMENTED`, 48); an unknown mode
//! is `BAD_ARGUMENTS` (36); no window or no condition `NUMBER_OF_ARGUMENTS_DOESNT_MATCH`
//! (42); a timestamp that is not an unsigned integer, `Date` or `DateTime`, or a
//! condition that is not `UInt8`, `ILLEGAL_TYPE_OF_ARGUMENT` (43).
//!
//! State: a `VarUInt` number of events, then per event the timestamp as a little-endian
//! `UInt64` and the condition number (1-based; 0 for a row of no condition under
//! `strict_order`) as a byte — not ClickHouse's layout.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt8Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, Param, same};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    vec![BaseDef {
        name: "windowFunnel",
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::SkipKeepType,
        build: build_window_funnel,
    }]
}

#[derive(Clone, Copy, Debug, Default)]
struct Modes {
    deduplication: bool,
    order: bool,
    increase: bool,
}

fn build_window_funnel(b: &BuildArgs) -> Result<AggFuncRef> {
    let Some(first) = b.params.first() else {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {} requires at least one parameter: <window>, [option, [option, ...]]",
            b.name
        );
    };
    let window = match first {
        Param::UInt(w) => *w,
        _ => ch_bail!(
            BAD_ARGUMENTS,
            "Aggregate function {} requires a positive integer window",
            b.name
        ),
    };
    let mut modes = Modes::default();
    for p in &b.params[1..] {
        match p {
            Param::Str(s) if s == "strict_deduplication" || s == "strict" => {
                modes.deduplication = true;
            }
            Param::Str(s) if s == "strict_order" => modes.order = true,
            Param::Str(s) if s == "strict_increase" => modes.increase = true,
            Param::Str(s) if s == "allow_reentry" => ch_bail!(
                NOT_IMPLEMENTED,
                "Mode allow_reentry of aggregate function {} is not supported",
                b.name
            ),
            _ => ch_bail!(
                BAD_ARGUMENTS,
                "Aggregate function {} doesn't support a parameter: {p}",
                b.name
            ),
        }
    }
    if b.args.len() < 2 {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {} requires one timestamp argument and at least one event condition",
            b.name
        );
    }
    if b.args.len() > 33 {
        ch_bail!(
            TOO_MANY_ARGUMENTS_FOR_FUNCTION,
            "Too many event arguments for aggregate function {}",
            b.name
        );
    }
    let ts = &b.args[0];
    if !matches!(
        ts,
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::Date
            | ChType::DateTime(_)
    ) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {ts} of first argument of aggregate function {}, must be Unsigned Number, Date, DateTime",
            b.name
        );
    }
    for (i, t) in b.args.iter().enumerate().skip(1) {
        if !matches!(t, ChType::UInt8 | ChType::Bool) {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {t} of argument {} of aggregate function {}, must be UInt8",
                i + 1,
                b.name
            );
        }
    }
    let conditions = b.args.len() - 1;
    Ok(AggFunc::new(
        b.full_name(),
        b.args.to_vec(),
        ChType::UInt8,
        move || {
            Box::new(FunnelState {
                window,
                modes,
                conditions,
                events: Vec::new(),
            })
        },
    ))
}

#[derive(Debug)]
struct FunnelState {
    window: u64,
    modes: Modes,
    conditions: usize,
    /// `(timestamp, condition number)`, 1-based; 0: a row of no condition.
    events: Vec<(u64, u8)>,
}

fn truth(a: &ArrayRef) -> Result<Vec<bool>> {
    Ok(match a.data_type() {
        DataType::Boolean => {
            let b = a.as_boolean();
            (0..b.len()).map(|i| b.is_valid(i) && b.value(i)).collect()
        }
        _ => {
            let v = compute::cast(a, &DataType::UInt8)?;
            v.as_primitive::<UInt8Type>()
                .iter()
                .map(|x| x.is_some_and(|x| x != 0))
                .collect()
        }
    })
}

impl FunnelState {
    /// ClickHouse's walk over the events sorted by time.
    fn level(&self) -> u8 {
        let mut events = self.events.clone();
        events.sort_by_key(|e| e.0);
        let n = self.conditions;
        // Per condition: the chain's first timestamp and the step's timestamp.
        let mut reached: Vec<Option<(u64, u64)>> = vec![None; n];
        let mut started = false;
        let level_of = |reached: &[Option<(u64, u64)>]| {
            reached
                .iter()
                .rposition(Option::is_some)
                .map_or(0, |i| i + 1) as u8
        };
        for &(ts, ev) in &events {
            if ev == 0 {
                if self.modes.order && started {
                    break;
                }
                continue;
            }
            let idx = usize::from(ev - 1);
            if idx == 0 {
                if let Some(r) = reached.get_mut(0) {
                    *r = Some((ts, ts));
                }
                started = true;
            } else if self.modes.deduplication && reached.get(idx).is_some_and(Option::is_some) {
                return ev;
            } else if self.modes.order
                && started
                && reached.get(idx - 1).is_some_and(Option::is_none)
            {
                return reached.iter().position(Option::is_none).unwrap_or(n) as u8;
            } else if let Some(Some((first, prev))) = reached.get(idx - 1).copied() {
                let mut in_time = ts <= first.saturating_add(self.window);
                if self.modes.increase {
                    in_time = in_time && prev < ts;
                }
                if in_time {
                    if let Some(r) = reached.get_mut(idx) {
                        *r = Some((first, ts));
                    }
                    if idx + 1 == n {
                        return n as u8;
                    }
                }
            }
        }
        level_of(&reached)
    }
}

impl AggState for FunnelState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some((ts, conds)) = args.split_first() else {
            return Ok(());
        };
        let ts = match ts.data_type() {
            DataType::Date32 => {
                compute::cast(&compute::cast(ts, &DataType::Int32)?, &DataType::Int64)?
            }
            _ => compute::cast(ts, &DataType::Int64)?,
        };
        let ts = ts.as_primitive::<Int64Type>();
        let conds: Vec<Vec<bool>> = conds.iter().map(truth).collect::<Result<_>>()?;
        for row in 0..ts.len() {
            if ts.is_null(row) {
                continue;
            }
            let t = ts.value(row) as u64;
            let mut any = false;
            for (i, c) in conds.iter().enumerate().rev() {
                if c.get(row).copied().unwrap_or(false) {
                    self.events.push((t, (i + 1) as u8));
                    any = true;
                }
            }
            if self.modes.order && !any {
                self.events.push((t, 0));
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<FunnelState>(other)?;
        self.events.extend_from_slice(&o.events);
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.events.len() as u64);
        for (t, e) in &self.events {
            out.extend_from_slice(&t.to_le_bytes());
            out.push(*e);
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(9)?;
        for _ in 0..n {
            let t = r.u64()?;
            let e = r.u8()?;
            self.events.push((t, e));
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::UInt8(Some(self.level())))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.events.capacity() * 16
    }
}
