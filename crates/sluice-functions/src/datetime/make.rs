//! `makeDate(year, month, day)` / `makeDate(year, day_of_year)` and `makeDate32`: the
//! arguments are read as `Float32` and truncated. Out-of-range years, months outside 1–12,
//! days outside 1–31 (day of year outside 1–365) and dates past the type's last day give
//! the zero date (1970-01-01); a day past the month's end runs on into the next month, as
//! ClickHouse's calendar table does.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Date32Array, Date64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float32Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::tz::days_from_civil;
use crate::ch_bail;
use crate::string::rules::{arity, is_number};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("makeDate", date_type, make_date)
            .ci_aliases(&["MAKEDATE"])
            .build(),
        ChUdf::new("makeDate32", date32_type, make_date32).build(),
    ]
}

const ARG_NAMES_YMD: [&str; 3] = ["year", "month", "day"];
const ARG_NAMES_YD: [&str; 2] = ["year", "dayofyear"];

fn check(a: &TypeArgs) -> Result<()> {
    arity(a, 2, 3)?;
    let names: &[&str] = if a.types.len() == 3 {
        &ARG_NAMES_YMD
    } else {
        &ARG_NAMES_YD
    };
    for (i, (t, n)) in a.types.iter().zip(names).enumerate() {
        if !is_number(t) {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "A value of illegal type was provided as {} argument '{n}' to function '{}'. \
                 Expected: Number, got: {t}",
                ordinal(i + 1),
                a.name
            );
        }
    }
    Ok(())
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

fn date_type(a: &TypeArgs) -> Result<Ret> {
    check(a)?;
    Ok(ChType::Date.into())
}

fn date32_type(a: &TypeArgs) -> Result<Ret> {
    check(a)?;
    Ok(ChType::Date32.into())
}

/// Day numbers for the rows; `years` and `last` bound the type.
fn day_numbers(a: &Args, years: (f32, f32), last: (i32, u32, u32)) -> Result<Vec<i64>> {
    let mut cols = Vec::with_capacity(a.cols.len());
    for c in &a.cols {
        let f = cast(c, &DataType::Float32)?;
        cols.push(f.as_primitive::<Float32Type>().values().to_vec());
    }
    let max = days_from_civil(last.0, last.1, last.2);
    let mut out = Vec::with_capacity(a.rows);
    for i in 0..a.rows {
        let y = cols[0][i];
        let in_years = y >= years.0 && y <= years.1;
        let day = if cols.len() == 3 {
            let (m, d) = (cols[1][i], cols[2][i]);
            if in_years && (1.0..=12.0).contains(&m) && (1.0..=31.0).contains(&d) {
                days_from_civil(y as i32, m as u32, 1) + d as i64 - 1
            } else {
                0
            }
        } else {
            let d = cols[1][i];
            if in_years && (1.0..=365.0).contains(&d) {
                days_from_civil(y as i32, 1, 1) + d as i64 - 1
            } else {
                0
            }
        };
        out.push(if day <= max { day } else { 0 });
    }
    Ok(out)
}

fn make_date(a: &Args) -> Result<ArrayRef> {
    let days = day_numbers(a, (1970.0, 2149.0), (2149, 6, 6))?;
    Ok(Arc::new(Date32Array::from(
        days.into_iter().map(|d| d as i32).collect::<Vec<_>>(),
    )))
}

fn make_date32(a: &Args) -> Result<ArrayRef> {
    let days = day_numbers(a, (0.0, 9999.0), (9999, 12, 31))?;
    Ok(Arc::new(Date64Array::from(
        days.into_iter().map(|d| d * 86_400_000).collect::<Vec<_>>(),
    )))
}
