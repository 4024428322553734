//! Column-level `CAST`: converts a whole Arrow array from one ClickHouse type to another,
//! recursing through `Nullable`, `LowCardinality`, `Array`, `Tuple` and `Map`, rendering
//! anything as `String` with `sluice_formats::text`, and deciding per row what a failed
//! conversion does (throw, NULL, zero/default).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayData, ArrayRef, AsArray, ListArray, MapArray, StringBuilder, StructArray,
    make_array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::error::Result;
use sluice_common::{ChType, Error, ErrorCode};
use sluice_formats::FormatSettings;
use sluice_formats::parse::{Value, build_array, parse_text};
use sluice_formats::text::{TextContext, write_value};

use super::scalar::{Ctx, convert};
use super::value::{Sink, Src, Val};
use crate::datetime::tz::Zone;
use crate::util::ch_error;

/// What a row that cannot be converted becomes.
#[derive(Clone, Copy)]
pub enum OnError<'a> {
    /// Raise the ClickHouse exception.
    Throw,
    /// NULL (`…OrNull`, `accurateCastOrNull`).
    Null,
    /// The type's default value (`…OrZero`).
    Zero,
    /// Row `i` of this already-converted array (`…OrDefault(x, default)`).
    Default(&'a dyn Array),
}

/// Conversion settings for one call.
#[derive(Clone, Copy)]
pub struct CastOptions<'a> {
    /// Session time zone.
    pub session: Zone,
    /// `accurateCast*`.
    pub accurate: bool,
    /// Failure handling.
    pub on_error: OnError<'a>,
    /// A time zone argument (`toDate(dt, 'tz')`) that overrides the source and target zones.
    pub zone: Option<Zone>,
}

fn text_context(zone: Zone) -> TextContext {
    let tz = match zone {
        Zone::Named(tz) => tz,
        _ => chrono_tz::Tz::UTC,
    };
    TextContext {
        timezone: tz,
        ..TextContext::default()
    }
}

/// Converts `arr` (of ClickHouse type `from`) to `to`.
pub fn cast_array(
    arr: &ArrayRef,
    from: &ChType,
    to: &ChType,
    opts: &CastOptions,
) -> Result<ArrayRef> {
    // A `SimpleAggregateFunction(f, T)` column holds plain `T` values.
    if let ChType::SimpleAggregateFunction { arg, .. } = to {
        return cast_array(arr, from, arg, opts);
    }
    if let ChType::SimpleAggregateFunction { arg, .. } = from {
        return cast_array(arr, arg, to, opts);
    }
    // Unpack a dictionary-encoded source.
    let arr = match arr.data_type() {
        DataType::Dictionary(_, v) => cast(arr, v)?,
        _ => Arc::clone(arr),
    };
    let from_b = from.base();
    if let ChType::LowCardinality(inner) = to {
        let plain = cast_array(&arr, from_b, inner, opts)?;
        return Ok(cast(&plain, &to.to_arrow())?);
    }
    let to_nullable = to.is_nullable();
    let to_b = to.base();
    if matches!(arr.data_type(), DataType::Null) && !to_nullable && !arr.is_empty() {
        return Err(ch_error(Error::new(
            ErrorCode::CANNOT_CONVERT_TYPE,
            "Cannot convert NULL to a non-nullable type",
        )));
    }
    if from_b == to_b && arr.data_type() == &to_b.to_arrow() {
        return check_nulls(arr, to_nullable);
    }
    let out = match (from_b, to_b) {
        (ChType::Array(fe), ChType::Array(te)) => {
            let list = arr.as_list::<i32>();
            let values = cast_array(list.values(), fe, te, opts)?;
            let field = Arc::new(te.to_field("item"));
            Arc::new(ListArray::try_new(
                field,
                list.offsets().clone(),
                values,
                list.nulls().cloned(),
            )?) as ArrayRef
        }
        (ChType::Tuple(fe), ChType::Tuple(te)) => {
            if fe.len() != te.len() {
                return Err(ch_error(Error::new(
                    ErrorCode::TYPE_MISMATCH,
                    format!(
                        "CAST AS Tuple can only be performed between tuple types with the same number of elements. Left type: {from}, right type: {to}"
                    ),
                )));
            }
            let st = arr.as_struct();
            let mut cols = Vec::with_capacity(te.len());
            for (k, ((_, ft), (_, tt))) in fe.iter().zip(te.iter()).enumerate() {
                cols.push(cast_array(st.column(k), ft, tt, opts)?);
            }
            let fields = match to_b.to_arrow() {
                DataType::Struct(f) => f,
                _ => Fields::empty(),
            };
            Arc::new(StructArray::try_new(fields, cols, st.nulls().cloned())?) as ArrayRef
        }
        (ChType::Map(fk, fv), ChType::Map(tk, tv)) => {
            let m = arr.as_map();
            let keys = cast_array(m.keys(), fk, tk, opts)?;
            let vals = cast_array(m.values(), fv, tv, opts)?;
            let kv = Fields::from(vec![tk.to_field("key"), tv.to_field("value")]);
            let entries = StructArray::try_new(kv.clone(), vec![keys, vals], None)?;
            let entries_field = Arc::new(Field::new("entries", DataType::Struct(kv), false));
            Arc::new(MapArray::try_new(
                entries_field,
                m.offsets().clone(),
                entries,
                m.nulls().cloned(),
                false,
            )?) as ArrayRef
        }
        (_, ChType::String) if !is_stringish(from_b) => render(&arr, from, opts.session),
        (
            ChType::String | ChType::FixedString(_),
            ChType::Array(_) | ChType::Tuple(_) | ChType::Map(..),
        ) => parse_composite(&arr, to, opts)?,
        (ChType::Array(_) | ChType::Tuple(_) | ChType::Map(..), _)
        | (_, ChType::Array(_) | ChType::Tuple(_) | ChType::Map(..)) => {
            return Err(ch_error(Error::new(
                ErrorCode::CANNOT_CONVERT_TYPE,
                format!("Conversion from {from} to {to} is not supported"),
            )));
        }
        _ => {
            // Text into a Nullable type: unparsable values become NULL (except Bool).
            let lenient;
            let opts = if to_nullable
                && is_stringish(from_b)
                && !matches!(to_b, ChType::Bool)
                && matches!(opts.on_error, OnError::Throw)
            {
                lenient = CastOptions {
                    on_error: OnError::Null,
                    ..*opts
                };
                &lenient
            } else {
                opts
            };
            scalar_cast(&arr, from_b, to_b, opts)?
        }
    };
    check_nulls(conform(out, &to.to_arrow())?, to_nullable)
}

/// Gives `arr` exactly the Arrow type `dt` when the two differ only in field names,
/// nullability flags or metadata (builders drop the ClickHouse metadata of nested fields).
pub fn conform(arr: ArrayRef, dt: &DataType) -> Result<ArrayRef> {
    if arr.data_type() == dt {
        return Ok(arr);
    }
    Ok(make_array(conform_data(arr.to_data(), dt)?))
}

fn conform_data(data: ArrayData, dt: &DataType) -> Result<ArrayData> {
    if data.data_type() == dt {
        return Ok(data);
    }
    let child_types: Vec<DataType> = match dt {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::Map(f, _)
        | DataType::FixedSizeList(f, _) => {
            vec![f.data_type().clone()]
        }
        DataType::Struct(fs) => fs.iter().map(|f| f.data_type().clone()).collect(),
        _ => Vec::new(),
    };
    let children = if child_types.len() == data.child_data().len() {
        data.child_data()
            .iter()
            .zip(child_types.iter())
            .map(|(c, t)| conform_data(c.clone(), t))
            .collect::<Result<Vec<_>>>()?
    } else {
        data.child_data().to_vec()
    };
    Ok(data
        .into_builder()
        .data_type(dt.clone())
        .child_data(children)
        .build()?)
}

fn is_stringish(t: &ChType) -> bool {
    matches!(
        t,
        ChType::String | ChType::FixedString(_) | ChType::Enum8(_) | ChType::Enum16(_)
    )
}

/// A non-Nullable target cannot hold NULLs (`CAST(NULL AS UInt8)`).
fn check_nulls(arr: ArrayRef, nullable: bool) -> Result<ArrayRef> {
    if !nullable && arr.null_count() > 0 && !matches!(arr.data_type(), DataType::Null) {
        return Err(ch_error(Error::new(
            ErrorCode::CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN,
            "Cannot convert NULL value to non-Nullable type",
        )));
    }
    if !nullable && matches!(arr.data_type(), DataType::Null) && !arr.is_empty() {
        return Err(ch_error(Error::new(
            ErrorCode::CANNOT_CONVERT_TYPE,
            "Cannot convert NULL to a non-nullable type",
        )));
    }
    Ok(arr)
}

/// String → `Array`/`Tuple`/`Map`: ClickHouse's text form parsed by `sluice_formats`.
fn parse_composite(arr: &ArrayRef, to: &ChType, opts: &CastOptions) -> Result<ArrayRef> {
    let mut settings = FormatSettings::default();
    if let Zone::Named(tz) = opts.session {
        settings.text.timezone = tz;
    }
    let mut vals = Vec::with_capacity(arr.len());
    for i in 0..arr.len() {
        match super::value::str_at(arr.as_ref(), i) {
            None => vals.push(Value::Null),
            Some(s) => match parse_text(s, to, &settings) {
                Ok(v) => vals.push(v),
                Err(e) => match opts.on_error {
                    OnError::Throw => return Err(ch_error(e)),
                    _ => vals.push(Value::Null),
                },
            },
        }
    }
    build_array(&vals, to).map_err(ch_error)
}

/// `toString` of any value: ClickHouse's plain text form.
pub fn render(arr: &ArrayRef, from: &ChType, session: Zone) -> ArrayRef {
    match super::columnar::integers_to_string(arr.as_ref(), from) {
        Some(Ok(text)) => text,
        _ => render_rows(arr, from, session),
    }
}

/// [`render`] row by row, through the text formatter (any type).
pub(super) fn render_rows(arr: &ArrayRef, from: &ChType, session: Zone) -> ArrayRef {
    let ctx = text_context(session);
    let mut b = StringBuilder::with_capacity(arr.len(), arr.len() * 8);
    let mut buf = Vec::new();
    for i in 0..arr.len() {
        if arr.is_null(i) {
            b.append_null();
            continue;
        }
        buf.clear();
        write_value(&mut buf, arr.as_ref(), i, from, &ctx);
        b.append_value(String::from_utf8_lossy(&buf));
    }
    Arc::new(b.finish())
}

fn scalar_cast(arr: &ArrayRef, from: &ChType, to: &ChType, opts: &CastOptions) -> Result<ArrayRef> {
    let cx = Ctx {
        from_zone: match opts.zone {
            Some(z) => z,
            None => Zone::of_type(from, opts.session)?,
        },
        to_zone: match (opts.zone, to) {
            (Some(z), ChType::Date | ChType::Date32) => z,
            _ => Zone::of_type(to, opts.session)?,
        },
        accurate: opts.accurate,
    };
    if !opts.accurate
        && let Some(out) = super::columnar::integers_to_temporal(arr.as_ref(), from, to, cx.to_zone)
    {
        return Ok(out);
    }
    if let (ChType::String, ChType::Date, Some(texts)) = (from, to, arr.as_string_opt::<i32>()) {
        use super::string_date::{DateOnError, strings_to_date};
        let on_error = match opts.on_error {
            OnError::Throw => Some(DateOnError::Throw),
            OnError::Null => Some(DateOnError::Null),
            OnError::Zero => Some(DateOnError::Zero),
            OnError::Default(_) => None,
        };
        if let Some(on_error) = on_error {
            return strings_to_date(texts, on_error).map_err(ch_error);
        }
    }
    scalar_cast_rows(arr, from, to, opts, &cx)
}

/// [`scalar_cast`] row by row, through [`convert`] (any scalar types).
pub(super) fn scalar_cast_rows(
    arr: &ArrayRef,
    from: &ChType,
    to: &ChType,
    opts: &CastOptions,
    cx: &Ctx,
) -> Result<ArrayRef> {
    let src = Src::new(arr.as_ref(), from)?;
    let default_src = match opts.on_error {
        OnError::Default(d) => Some(Src::new(d, to)?),
        _ => None,
    };
    let zero = zero_value(to);
    let mut sink = Sink::new(to, arr.len());
    for i in 0..arr.len() {
        let Some(v) = src.get(i) else {
            sink.push(None);
            continue;
        };
        match convert(v, from, to, cx) {
            Ok(x) => sink.push(Some(x)),
            Err(e) => match opts.on_error {
                OnError::Throw => return Err(ch_error(e)),
                OnError::Null => sink.push(None),
                OnError::Zero => sink.push(Some(zero.clone())),
                OnError::Default(_) => sink.push(default_src.as_ref().and_then(|d| d.get(i))),
            },
        }
    }
    sink.finish()
}

/// The value `…OrZero` returns for a failed row: ClickHouse's default of the type.
pub fn zero_value(t: &ChType) -> Val<'static> {
    use datafusion::arrow::datatypes::i256;
    match t {
        ChType::Float32 | ChType::Float64 | ChType::BFloat16 => Val::Float(0.0),
        ChType::Decimal { scale, .. } => Val::Dec(i256::ZERO, *scale),
        ChType::String | ChType::FixedString(_) => Val::Owned(Vec::new()),
        ChType::Enum8(v) => Val::Owned(
            v.first()
                .map(|(n, _)| n.as_bytes().to_vec())
                .unwrap_or_default(),
        ),
        ChType::Enum16(v) => Val::Owned(
            v.first()
                .map(|(n, _)| n.as_bytes().to_vec())
                .unwrap_or_default(),
        ),
        ChType::Date | ChType::Date32 => Val::Date(0),
        ChType::DateTime(_) => Val::Time(0, 0),
        ChType::DateTime64(p, _) => Val::Time(0, super::value::unit_digits(*p)),
        ChType::Bool => Val::Bool(false),
        ChType::Uuid => Val::Uuid(0),
        ChType::IPv4 => Val::IPv4(0),
        ChType::IPv6 => Val::IPv6([0; 16]),
        _ => Val::Int(i256::ZERO),
    }
}
