//! `formatReadableTimeDelta(seconds[, maximum_unit[, minimum_unit]])`: "1 year, 2 months,
//! 12 days, 3 hours, 1 minute and 33 seconds". A year is 365 days, a month 30.5 days. The
//! units run from `maximum_unit` (default years) down to `minimum_unit` (default seconds, or
//! nanoseconds when the maximum is below seconds); sub-second units come from the first
//! nine decimals of the fraction. Zero units are skipped, except a lone `0 seconds` (or the
//! minimum sub-second unit); the last part is joined with " and ".

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::readable::floats;
use crate::ch_bail;
use crate::string::col::StrBuilder;
use crate::string::rules::{arity, is_number, is_string};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs, scalar_bytes};

/// Units from the smallest; the discriminant order is ClickHouse's.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Unit {
    Nanoseconds = 1,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
    Days,
    Months,
    Years,
}

/// Each unit: seconds per unit (whole units) or decimal digits (sub-second), and its name.
const UNITS: [(Unit, u64, u32, &str); 9] = [
    (Unit::Years, 365 * 24 * 3600, 0, " year"),
    (Unit::Months, 30 * 24 * 3600 + 12 * 3600, 0, " month"),
    (Unit::Days, 24 * 3600, 0, " day"),
    (Unit::Hours, 3600, 0, " hour"),
    (Unit::Minutes, 60, 0, " minute"),
    (Unit::Seconds, 1, 0, " second"),
    (Unit::Milliseconds, 1, 3, " millisecond"),
    (Unit::Microseconds, 1, 6, " microsecond"),
    (Unit::Nanoseconds, 1, 9, " nanosecond"),
];

/// The function of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![ChUdf::new("formatReadableTimeDelta", delta_type, delta).build()]
}

fn delta_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 3)?;
    let t = &a.types[0];
    if !is_number(t) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "A value of illegal type was provided as 1st argument 'value' to function '{}'. \
             Expected: Number or Interval, got: {t}",
            a.name
        );
    }
    for (i, what) in [(1, "maximum_unit"), (2, "minimum_unit")] {
        if let Some(t) = a.types.get(i) {
            if !is_string(t) {
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal type {t} of argument {what} of function {}",
                    a.name
                );
            }
            if a.consts.get(i).is_none_or(|c| c.is_none()) {
                ch_bail!(
                    ILLEGAL_COLUMN,
                    "Argument at index {i} for function {} must be constant",
                    a.name
                );
            }
        }
    }
    Ok(ChType::String.into())
}

fn unit_arg(a: &Args, i: usize, default: Unit, bound: &str) -> Result<(Unit, String)> {
    let text = a
        .consts
        .get(i)
        .and_then(|c| c.as_ref())
        .and_then(|c: &ScalarValue| scalar_bytes(c))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let unit = match text.as_str() {
        "" => default,
        "years" => Unit::Years,
        "months" => Unit::Months,
        "days" => Unit::Days,
        "hours" => Unit::Hours,
        "minutes" => Unit::Minutes,
        "seconds" => Unit::Seconds,
        "milliseconds" => Unit::Milliseconds,
        "microseconds" => Unit::Microseconds,
        "nanoseconds" => Unit::Nanoseconds,
        _ => ch_bail!(
            BAD_ARGUMENTS,
            "Unexpected value of {bound} unit argument ({text}) for function {}, the only \
             allowed values are: 'nanoseconds', 'microseconds', 'nanoseconds', 'seconds', \
             'minutes', 'hours', 'days', 'months', 'years'",
            a.name
        ),
    };
    Ok((unit, text))
}

fn delta(a: &Args) -> Result<ArrayRef> {
    let (max, max_text) = unit_arg(a, 1, Unit::Years, "maximum")?;
    let (mut min, min_text) = unit_arg(a, 2, Unit::Seconds, "minimum")?;
    if min > max {
        if min_text.is_empty() {
            min = Unit::Nanoseconds;
        } else {
            ch_bail!(
                BAD_ARGUMENTS,
                "Explicitly specified value of minimum unit argument ({min_text}) for function \
                 {} must not be greater than maximum unit value ({max_text})",
                a.name
            );
        }
    }
    let vals = floats(a)?;
    let mut b = StrBuilder::new(a.rows, false);
    for v in vals {
        write_delta(b.current(), v, max, min)?;
        b.finish_row()?;
    }
    b.finish()
}

/// The state of one value while its units are written.
struct Delta<'a> {
    out: &'a mut Vec<u8>,
    whole: f64,
    frac: Vec<u8>,
    has_output: bool,
    min: Unit,
}

fn write_delta(out: &mut Vec<u8>, v: f64, max: Unit, min: Unit) -> Result<()> {
    if !v.is_finite() {
        sluice_formats::text::number::write_f64(out, v);
        return Ok(());
    }
    let v = if v < 0.0 {
        out.push(b'-');
        -v
    } else {
        v
    };
    let whole = v.trunc();
    let frac = format!("{:.9}", v - whole);
    let mut d = Delta {
        out,
        whole,
        frac: frac.as_bytes().get(2..).unwrap_or_default().to_vec(),
        has_output: false,
        min,
    };
    for &(unit, mult, scale, name) in UNITS.iter().filter(|u| u.0 <= max && u.0 >= min) {
        d.unit(mult, scale, name, unit == min)?;
    }
    Ok(())
}

impl Delta<'_> {
    fn unit(&mut self, mult: u64, scale: u32, name: &str, is_min: bool) -> Result<()> {
        let pow = 10u64.pow(scale);
        if self.whole + 1.0 == self.whole {
            // Too large for exact smaller units: everything goes into this one.
            let n = (self.whole * pow as f64 / mult as f64).floor();
            sluice_formats::text::number::write_f64(self.out, n);
            self.out.extend_from_slice(name.as_bytes());
            self.out.push(b's');
            self.has_output = true;
            self.whole = 0.0;
            return Ok(());
        }
        let mut n: u64;
        if scale == 0 {
            n = (self.whole / mult as f64).floor() as u64;
            if n == 0 && (mult != 1 || self.has_output) {
                return Ok(());
            }
            self.whole -= n.wrapping_mul(mult) as f64;
        } else {
            n = 0;
            if self.whole >= 1.0 {
                n = (self.whole as u64).wrapping_mul(pow);
                self.whole = 0.0;
            }
            for i in 0..scale as usize {
                let digit = self.frac.get(i).map_or(0, |c| c.wrapping_sub(b'0'));
                n = n.wrapping_add(u64::from(digit) * 10u64.pow(scale - 1 - i as u32));
                if let Some(c) = self.frac.get_mut(i) {
                    *c = b'0';
                }
            }
            if n == 0 && (!is_min || self.has_output) {
                return Ok(());
            }
        }
        if self.has_output {
            let last = is_min || (self.whole < 1.0 && self.rest_is_zero()?);
            self.out
                .extend_from_slice(if last { b" and " } else { b", " });
        }
        self.out.extend_from_slice(n.to_string().as_bytes());
        self.out.extend_from_slice(name.as_bytes());
        if n != 1 {
            self.out.push(b's');
        }
        self.has_output = true;
        Ok(())
    }

    /// Whether the fraction digits down to the minimum unit are all zero. ClickHouse sizes
    /// this check as `(4 - min_unit) * 3` characters; with a minimum above seconds the size
    /// goes negative and it fails with `std::length_error`.
    fn rest_is_zero(&self) -> Result<bool> {
        if self.min > Unit::Seconds {
            ch_bail!(STD_EXCEPTION, "std::length_error: basic_string");
        }
        let digits = 3 * (Unit::Seconds as usize - self.min as usize);
        Ok(self.frac.iter().take(digits).all(|&c| c == b'0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: f64, max: Unit, min: Unit) -> String {
        let mut out = Vec::new();
        match write_delta(&mut out, v, max, min) {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            Err(e) => e.to_string(),
        }
    }

    /// Oracle: formatReadableTimeDelta(100000000), (3661.25), (100000, 'hours'),
    /// (1.000123456, 'seconds', 'nanoseconds'), (1e30), (-1.5, 'minutes', 'milliseconds').
    #[test]
    fn deltas() {
        let y = Unit::Years;
        let s = Unit::Seconds;
        assert_eq!(
            text(1e8, y, s),
            "3 years, 2 months, 1 day, 9 hours, 46 minutes and 40 seconds"
        );
        assert_eq!(text(3661.25, y, s), "1 hour, 1 minute and 1 second");
        assert_eq!(
            text(100000.0, Unit::Hours, s),
            "27 hours, 46 minutes and 40 seconds"
        );
        assert_eq!(
            text(1.000123456, s, Unit::Nanoseconds),
            "1 second, 123 microseconds and 456 nanoseconds"
        );
        assert_eq!(text(1e30, y, s), "3.170979198376459e22 years");
        assert_eq!(
            text(-1.5, Unit::Minutes, Unit::Milliseconds),
            "-1 second and 500 milliseconds"
        );
        assert_eq!(text(0.0, y, s), "0 seconds");
    }
}
