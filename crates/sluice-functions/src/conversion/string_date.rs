//! `toDate` of a `String` column (`CAST(s AS Date)`, the seed pipeline's
//! `toDate(JSONExtractString(…))`) in one pass: each row's text through
//! [`parse::parse_date`] into the day-number buffer, without the row-by-row path's `Val`
//! and value list. Results and errors are that path's (see [`super::temporal`]): the day
//! clamped to `Date`'s range, the first unparsable row's error, or NULL / day 0 for the
//! `…OrNull` / `…OrZero` forms.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Date32Builder, StringArray};
use sluice_common::{ChType, Error};

use super::parse;

/// Largest `Date` day number.
const DATE_MAX: i64 = 65535;

/// What an unparsable row becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOnError {
    /// The row's parse error is returned.
    Throw,
    /// NULL.
    Null,
    /// Day 0 (1970-01-01).
    Zero,
}

/// The `Date` column of `arr`'s texts (NULL rows stay NULL).
pub fn strings_to_date(arr: &StringArray, on_error: DateOnError) -> Result<ArrayRef, Error> {
    let mut out = Date32Builder::with_capacity(arr.len());
    for i in 0..arr.len() {
        if arr.is_null(i) {
            out.append_null();
            continue;
        }
        match parse::parse_date(arr.value(i).as_bytes(), &ChType::Date) {
            Ok(d) => out.append_value(d.clamp(0, DATE_MAX) as i32),
            Err(e) => match on_error {
                DateOnError::Throw => return Err(e),
                DateOnError::Null => out.append_null(),
                DateOnError::Zero => out.append_value(0),
            },
        }
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::AsArray;

    use super::*;
    use crate::conversion::cast::{CastOptions, OnError, scalar_cast_rows};
    use crate::conversion::scalar::Ctx;
    use crate::datetime::tz::Zone;

    fn texts() -> StringArray {
        StringArray::from(vec![
            Some("2024-03-05"),
            None,
            Some("20200105"),
            Some("2020-1-5"),
            Some("2020-02-30"),
            Some("2020-13-01"),
            Some("2024-03-05 12:30:00"),
            Some("2024-03-05T01:02:03"),
            Some("1900-01-01"),
            Some("2200-01-01"),
            Some("x"),
            Some(""),
            Some("2020-01-05 ab"),
        ])
    }

    fn row_path(arr: &StringArray, on_error: OnError) -> ArrayRef {
        let arr: ArrayRef = Arc::new(arr.clone());
        let opts = CastOptions {
            session: Zone::Utc,
            accurate: false,
            on_error,
            zone: None,
        };
        let cx = Ctx {
            from_zone: Zone::Utc,
            to_zone: Zone::Utc,
            accurate: false,
        };
        scalar_cast_rows(&arr, &ChType::String, &ChType::Date, &opts, &cx).expect("row path")
    }

    #[test]
    fn same_days_as_the_row_path() {
        let arr = texts();
        for (fast, slow) in [
            (DateOnError::Null, OnError::Null),
            (DateOnError::Zero, OnError::Zero),
        ] {
            let got = strings_to_date(&arr, fast).expect("fast path");
            let want = row_path(&arr, slow);
            assert_eq!(
                got.as_primitive::<datafusion::arrow::datatypes::Date32Type>(),
                want.as_primitive::<datafusion::arrow::datatypes::Date32Type>(),
                "{fast:?}"
            );
        }
    }

    #[test]
    fn throws_the_row_paths_error() {
        let arr = texts();
        let e = strings_to_date(&arr, DateOnError::Throw).expect_err("unparsable rows");
        let want = parse::parse_date(b"x", &ChType::Date).expect_err("x");
        assert_eq!((e.code, e.to_string()), (want.code, want.to_string()));
        let ok = StringArray::from(vec![Some("2024-03-05"), None]);
        let days = strings_to_date(&ok, DateOnError::Throw).expect("parsable");
        let days = days.as_primitive::<datafusion::arrow::datatypes::Date32Type>();
        assert_eq!(days.value(0), 19787);
        assert!(days.is_null(1));
    }
}
