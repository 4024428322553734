//! `bar(x, min, max[, max_width = 80])`: a bar of Unicode block characters whose length is
//! `(x - min) / (max - min) * max_width` characters — 0 when `x <= min` (or NaN),
//! `max_width` when `x >= max` — drawn as whole blocks `█` and one partial block of the
//! remaining eighths (`▏` … `▉`, rounded down). `max_width` is a constant in `[1, 1000]`
//! and may be fractional.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use crate::ch_bail;
use crate::string::col::StrBuilder;
use crate::string::rules::is_number;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// Default `max_width`.
const DEFAULT_WIDTH: f64 = 80.0;
/// Largest `max_width` ClickHouse accepts.
const MAX_WIDTH: f64 = 1000.0;
/// Partial blocks by eighths (index 1 = one eighth).
const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![ChUdf::new("bar", bar_type, bar).build()]
}

fn bar_type(a: &TypeArgs) -> Result<Ret> {
    let n = a.types.len();
    if !(3..=4).contains(&n) {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Function bar requires from 3 or 4 parameters: value, min_value, max_value, \
             [max_width_of_bar = 80]. Passed {n}"
        );
    }
    if !a.types.iter().all(is_number) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "All arguments for function bar must be numeric"
        );
    }
    if n == 4
        && let Some(Some(w)) = a.consts.get(3)
    {
        max_width(w)?;
    }
    Ok(ChType::String.into())
}

/// The constant `max_width`, checked.
fn max_width(v: &ScalarValue) -> Result<f64> {
    let w = match v.cast_to(&DataType::Float64)? {
        ScalarValue::Float64(Some(w)) => w,
        _ => DEFAULT_WIDTH,
    };
    if w < 1.0 {
        ch_bail!(ARGUMENT_OUT_OF_BOUND, "Argument 'max_width' must be >= 1");
    }
    if w > MAX_WIDTH {
        ch_bail!(
            ARGUMENT_OUT_OF_BOUND,
            "Argument 'max_width' must be <= 1000"
        );
    }
    Ok(w)
}

/// The bar's length in characters.
fn bar_width(x: f64, min: f64, max: f64, max_width: f64) -> f64 {
    if x.is_nan() || x <= min {
        0.0
    } else if x >= max {
        max_width
    } else {
        (x - min) / (max - min) * max_width
    }
}

/// Appends the bar of `width` characters.
fn render(out: &mut Vec<u8>, width: f64) {
    let whole = width.floor();
    for _ in 0..whole as usize {
        out.extend_from_slice("█".as_bytes());
    }
    let eighths = ((width - whole) * 8.0).floor() as usize;
    out.extend_from_slice(EIGHTHS[eighths.min(7)].as_bytes());
}

fn bar(a: &Args) -> Result<ArrayRef> {
    let width = match a.consts.get(3) {
        None => DEFAULT_WIDTH,
        Some(Some(w)) => max_width(w)?,
        Some(None) => ch_bail!(
            ILLEGAL_COLUMN,
            "Argument at index 3 for function bar must be constant"
        ),
    };
    let mut cols = Vec::with_capacity(3);
    for c in &a.cols[..3] {
        cols.push(cast(c, &DataType::Float64)?);
    }
    let [x, min, max] = [0, 1, 2].map(|i| cols[i].as_primitive::<Float64Type>());
    let mut b = StrBuilder::new(a.rows, false);
    for row in 0..a.rows {
        let w = bar_width(x.value(row), min.value(row), max.value(row), width);
        render(b.current(), w);
        b.finish_row()?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(x: f64, min: f64, max: f64, w: f64) -> String {
        let mut out = Vec::new();
        render(&mut out, bar_width(x, min, max, w));
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Oracle: bar(4, 0, 10, 3), bar(1.5, 1, 2, 2.5), bar(5, 10, 0, 5), bar(nan, 0, 2, 3),
    /// bar(inf, 0, 2, 3), bar(0.99, 0, 1, 1).
    #[test]
    fn eighths_round_down() {
        assert_eq!(draw(4.0, 0.0, 10.0, 3.0), "█▏");
        assert_eq!(draw(1.5, 1.0, 2.0, 2.5), "█▎");
        assert_eq!(draw(5.0, 10.0, 0.0, 5.0), "");
        assert_eq!(draw(f64::NAN, 0.0, 2.0, 3.0), "");
        assert_eq!(draw(f64::INFINITY, 0.0, 2.0, 3.0), "███");
        assert_eq!(draw(0.99, 0.0, 1.0, 1.0), "▉");
    }
}
