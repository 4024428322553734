//! `formatReadableSize` (binary units), `formatReadableDecimalSize` (decimal units) and
//! `formatReadableQuantity` (thousand, million, …): the number divided by the unit step
//! while it is at least one step and a larger unit exists, printed with two decimals.
//!
//! ClickHouse prints the fixed form only below 1e60 (its fixed-point printer's limit);
//! larger values, `inf` and `nan` come out in its plain float text (`8.27e275`, `inf`).

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use crate::ch_bail;
use crate::string::col::StrBuilder;
use crate::string::rules::{arity, is_number};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

const BINARY: [&str; 9] = [
    " B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB", " ZiB", " YiB",
];
const DECIMAL: [&str; 9] = [" B", " KB", " MB", " GB", " TB", " PB", " EB", " ZB", " YB"];
const QUANTITY: [&str; 22] = [
    "",
    " thousand",
    " million",
    " billion",
    " trillion",
    " quadrillion",
    " quintillion",
    " sextillion",
    " septillion",
    " octillion",
    " nonillion",
    " decillion",
    " undecillion",
    " duodecillion",
    " tredecillion",
    " quattuordecillion",
    " quindecillion",
    " sexdecillion",
    " septendecillion",
    " octodecillion",
    " novemdecillion",
    " vigintillion",
];

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("formatReadableSize", number_to_string, readable_size)
            .ci_aliases(&["FORMAT_BYTES"])
            .build(),
        ChUdf::new(
            "formatReadableDecimalSize",
            number_to_string,
            readable_decimal_size,
        )
        .build(),
        ChUdf::new(
            "formatReadableQuantity",
            number_to_string,
            readable_quantity,
        )
        .build(),
    ]
}

/// One numeric argument, a `String` result.
pub(crate) fn number_to_string(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let t = &a.types[0];
    if !is_number(t) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "A value of illegal type was provided as 1st argument 'value' to function '{}'. \
             Expected: Number, got: {t}",
            a.name
        );
    }
    Ok(ChType::String.into())
}

/// The first argument as `f64` values (ClickHouse reads every number as `Float64` here).
pub(crate) fn floats(a: &Args) -> Result<Vec<f64>> {
    let c = cast(&a.cols[0], &DataType::Float64)?;
    Ok(c.as_primitive::<Float64Type>().values().to_vec())
}

/// Writes `v` divided down to the largest fitting unit, with two decimals and the unit.
fn write_readable(out: &mut Vec<u8>, mut v: f64, units: &[&str], step: f64) {
    let mut i = 0;
    while i + 1 < units.len() && v.abs() >= step {
        v /= step;
        i += 1;
    }
    if v.is_finite() && v.abs() < 1e60 {
        out.extend_from_slice(format!("{v:.2}").as_bytes());
    } else {
        sluice_formats::text::number::write_f64(out, v);
    }
    out.extend_from_slice(units[i].as_bytes());
}

fn readable(a: &Args, units: &[&str], step: f64) -> Result<ArrayRef> {
    let vals = floats(a)?;
    let mut b = StrBuilder::new(a.rows, false);
    for v in vals {
        write_readable(b.current(), v, units, step);
        b.finish_row()?;
    }
    b.finish()
}

fn readable_size(a: &Args) -> Result<ArrayRef> {
    readable(a, &BINARY, 1024.0)
}

fn readable_decimal_size(a: &Args) -> Result<ArrayRef> {
    readable(a, &DECIMAL, 1000.0)
}

fn readable_quantity(a: &Args) -> Result<ArrayRef> {
    readable(a, &QUANTITY, 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(v: f64) -> String {
        let mut out = Vec::new();
        write_readable(&mut out, v, &BINARY, 1024.0);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Oracle: formatReadableSize(1536), (1e30), (nan), (-inf), (1e300), (2.675), (-0.).
    #[test]
    fn sizes() {
        assert_eq!(size(1536.0), "1.50 KiB");
        assert_eq!(size(1e30), "827180.61 YiB");
        assert_eq!(size(f64::NAN), "nan B");
        assert_eq!(size(f64::NEG_INFINITY), "-inf YiB");
        assert_eq!(size(1e300), "8.271806125530277e275 YiB");
        assert_eq!(size(2.675), "2.67 B");
        assert_eq!(size(-0.0), "-0.00 B");
    }
}
