//! The conversion UDFs: `to<Type>[OrZero|OrNull|OrDefault]`, `toDecimal*`, `toDateTime*`,
//! `toString`, `toFixedString`, `_CAST`/`CAST`, `accurateCast*`, `toLowCardinality`,
//! `toNullable` and `parseDateTime[64]BestEffort*`. One struct, [`ConvUdf`], parameterised
//! by how the target type is found ([`Target`]) and what a failed row does ([`Fail`]).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use sluice_common::ChType;

use super::best_effort::parse_best_effort;
use super::cast::{CastOptions, OnError, cast_array, render};
use super::value::{Sink, Val, str_at, unit_digits};
use crate::ch_bail;
use crate::datetime::args::{
    any_signature, arrays, check_arity, const_int_arg, const_str_arg, field, is_string_type,
    output, scalar_refs,
};
use crate::datetime::tz::Zone;
use crate::util::{arg_type, ch_error};

/// How the target type is determined.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A fixed type (`toUInt8`); `Date`/`Date32` take an optional time zone argument.
    Fixed(ChType),
    /// `toDecimalN(x, S)` with this precision.
    Decimal(u8),
    /// `toDateTime(x[, tz])`.
    DateTime,
    /// `toDateTime64(x, p[, tz])`.
    DateTime64,
    /// `toString(x[, tz])`.
    Str,
    /// `toFixedString(s, N)`.
    FixedStr,
    /// `CAST(x, 'T')` and `accurateCast*`.
    Cast,
    /// `toLowCardinality(x)`.
    LowCard,
    /// `toNullable(x)`.
    Nullable,
    /// `parseDateTimeBestEffort*(s[, tz])` (`p64`: `parseDateTime64BestEffort*(s[, p[, tz]])`).
    BestEffort { p64: bool, us: bool },
}

/// What a row that cannot be converted becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fail {
    /// Exception.
    Throw,
    /// `…OrZero`.
    Zero,
    /// `…OrNull`.
    Null,
    /// `…OrDefault(x[, default])`.
    Default,
}

/// A conversion function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ConvUdf {
    name: String,
    aliases: Vec<String>,
    signature: Signature,
    target: Target,
    fail: Fail,
    accurate: bool,
}

impl ConvUdf {
    /// A conversion named `name`.
    pub fn new(name: &str, target: Target, fail: Fail, accurate: bool) -> Self {
        Self {
            name: name.to_string(),
            aliases: Vec::new(),
            signature: any_signature(Volatility::Immutable),
            target,
            fail,
            accurate,
        }
    }

    /// Adds alternative names.
    pub fn with_aliases(mut self, aliases: &[&str]) -> Self {
        self.aliases = aliases.iter().map(|s| s.to_string()).collect();
        self
    }

    /// `toDateOrNull`, `toDateTimeOrNull` and `toDateTime64OrNull` also take integers, as an
    /// accurate cast (a value out of the type's range is NULL); other `…OrNull`/`…OrZero`
    /// conversions take only strings, as in ClickHouse.
    fn int_or_null(&self, input: &ChType) -> bool {
        self.fail == Fail::Null
            && matches!(
                self.target,
                Target::Fixed(ChType::Date) | Target::DateTime | Target::DateTime64
            )
            && crate::math::num::is_int(input.base())
    }

    /// (target base type, number of leading value arguments, index of a time zone argument).
    fn resolve(
        &self,
        fields: &[FieldRef],
        scalars: &[Option<&datafusion::common::ScalarValue>],
    ) -> Result<(ChType, Option<usize>)> {
        let n = fields.len();
        let name = self.name.as_str();
        let tz_at = |i: usize| -> Result<Option<String>> {
            if n > i {
                let tz = const_str_arg(name, scalars, fields, i, "timezone")?;
                Zone::parse(&tz)?;
                Ok(Some(tz))
            } else {
                Ok(None)
            }
        };
        let input = fields
            .first()
            .map(|f| arg_type(f))
            .unwrap_or(ChType::Nothing);
        let input_tz = match input.base() {
            ChType::DateTime(tz) | ChType::DateTime64(_, tz) => tz.clone(),
            _ => None,
        };
        let default_args = if self.fail == Fail::Default { 1 } else { 0 };
        Ok(match &self.target {
            Target::Fixed(t) => {
                let tz_ok = matches!(t, ChType::Date | ChType::Date32);
                let max = 1 + default_args + usize::from(tz_ok);
                check_arity(name, n, 1, max)?;
                if tz_ok && self.fail != Fail::Default {
                    tz_at(1)?;
                }
                (
                    t.clone(),
                    (tz_ok && n == 2 && self.fail != Fail::Default).then_some(1),
                )
            }
            Target::Decimal(p) => {
                check_arity(name, n, 2, 2 + default_args)?;
                let s = const_int_arg(name, scalars, fields, 1, "scale")?;
                let max_scale = *p as i64;
                if s < 0 || s > max_scale {
                    ch_bail!(
                        ARGUMENT_OUT_OF_BOUND,
                        "Scale {s} is out of bounds (max scale: {max_scale})"
                    );
                }
                (
                    ChType::Decimal {
                        precision: *p,
                        scale: s as u8,
                    },
                    None,
                )
            }
            Target::DateTime => {
                check_arity(name, n, 1, 2 + default_args)?;
                let tz = if self.fail == Fail::Default {
                    None
                } else {
                    tz_at(1)?
                };
                (
                    ChType::DateTime(tz.or(input_tz)),
                    (n >= 2 && self.fail != Fail::Default).then_some(1),
                )
            }
            Target::DateTime64 => {
                // `…OrNull`/`…OrZero` may leave the scale out (3, as in ClickHouse).
                let min = if matches!(self.fail, Fail::Null | Fail::Zero) {
                    1
                } else {
                    2
                };
                check_arity(name, n, min, 3 + default_args)?;
                let p = if n == 1 {
                    3
                } else {
                    const_int_arg(name, scalars, fields, 1, "scale")?
                };
                if !(0..=9).contains(&p) {
                    ch_bail!(
                        ARGUMENT_OUT_OF_BOUND,
                        "Precision {p} is out of bounds (precision range: [0, 9])"
                    );
                }
                let tz = if self.fail == Fail::Default {
                    None
                } else {
                    tz_at(2)?
                };
                (
                    ChType::DateTime64(p as u8, tz.or(input_tz)),
                    (n >= 3 && self.fail != Fail::Default).then_some(2),
                )
            }
            Target::Str => {
                check_arity(name, n, 1, 2)?;
                tz_at(1)?;
                (ChType::String, (n == 2).then_some(1))
            }
            Target::FixedStr => {
                check_arity(name, n, 2, 2)?;
                let len = const_int_arg(name, scalars, fields, 1, "length")?;
                if len <= 0 {
                    ch_bail!(
                        ILLEGAL_COLUMN,
                        "Second argument for function {name} must be a positive integer"
                    );
                }
                (ChType::FixedString(len as usize), None)
            }
            Target::Cast => {
                check_arity(name, n, 2, 2 + default_args)?;
                let text = const_str_arg(name, scalars, fields, 1, "type")?;
                (ChType::parse(&text).map_err(ch_error)?, None)
            }
            Target::LowCard => {
                check_arity(name, n, 1, 1)?;
                (input.non_nullable(), None)
            }
            Target::Nullable => {
                check_arity(name, n, 1, 1)?;
                (input.clone(), None)
            }
            Target::BestEffort { p64, .. } => {
                if *p64 {
                    check_arity(name, n, 1, 3)?;
                    let p = if n >= 2 {
                        const_int_arg(name, scalars, fields, 1, "precision")?
                    } else {
                        3
                    };
                    let tz = tz_at(2)?;
                    (
                        ChType::DateTime64(p.clamp(0, 9) as u8, tz),
                        (n >= 3).then_some(2),
                    )
                } else {
                    check_arity(name, n, 1, 2)?;
                    let tz = tz_at(1)?;
                    (ChType::DateTime(tz), (n >= 2).then_some(1))
                }
            }
        })
    }

    fn result_type(&self, target: ChType, input: &ChType) -> ChType {
        match (&self.target, self.fail) {
            (Target::LowCard, _) => {
                if matches!(input, ChType::LowCardinality(_)) {
                    input.clone()
                } else {
                    ChType::LowCardinality(Box::new(input.clone()))
                }
            }
            (Target::Nullable, _) => target.into_nullable(),
            (Target::Cast, Fail::Null) => target.into_nullable(),
            (Target::Cast, _) => target,
            (_, Fail::Null) => target.into_nullable(),
            (_, Fail::Default) => target,
            _ => {
                let t = if matches!(input.base(), ChType::Nothing) {
                    ChType::Nullable(Box::new(ChType::Nothing))
                } else if input.is_nullable() {
                    target.into_nullable()
                } else {
                    target
                };
                // Functions over LowCardinality arguments return LowCardinality.
                if matches!(input, ChType::LowCardinality(_))
                    && !matches!(self.target, Target::BestEffort { .. })
                {
                    ChType::LowCardinality(Box::new(t))
                } else {
                    t
                }
            }
        }
    }
}

impl ScalarUDFImpl for ConvUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{} uses return_field_from_args", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let (target, _) = self.resolve(args.arg_fields, args.scalar_arguments)?;
        let input = args
            .arg_fields
            .first()
            .map(|f| arg_type(f))
            .unwrap_or(ChType::Nothing);
        if matches!(self.fail, Fail::Zero | Fail::Null)
            && !matches!(self.target, Target::Cast)
            && !self.int_or_null(&input)
            && !is_string_type(args.arg_fields[0].data_type())
            && !matches!(input.base(), ChType::FixedString(_) | ChType::Nothing)
        {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {input} of first argument of function {}. Conversion functions with postfix 'OrZero' or 'OrNull' should take String argument",
                self.name
            );
        }
        if matches!(self.target, Target::BestEffort { .. })
            && !is_string_type(args.arg_fields[0].data_type())
            && !matches!(input.base(), ChType::FixedString(_) | ChType::Nothing)
        {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {input} of first argument of function {}. Must be String or FixedString",
                self.name
            );
        }
        if self.fail == Fail::Default {
            // ClickHouse requires the default to have exactly the target type.
            let idx = match self.target {
                Target::Fixed(_) => Some(1),
                Target::Decimal(_) => Some(2),
                _ => None,
            };
            if let Some(dt) = idx
                .and_then(|i| args.arg_fields.get(i))
                .map(|f| arg_type(f))
                && dt != target
            {
                ch_bail!(
                    BAD_ARGUMENTS,
                    "Default value type should be same as cast type. Expected {target}. Actual {dt}"
                );
            }
        }
        Ok(field(&self.name, &self.result_type(target, &input)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar_refs = scalar_refs(&args);
        let (target, tz_arg) = self.resolve(&args.arg_fields, &scalar_refs)?;
        let input_t = arg_type(&args.arg_fields[0]);
        let result_t = ChType::from_field(&args.return_field);
        let (cols, all_scalar) = arrays(&args)?;
        let session = Zone::session(&args.config_options)?;
        // A time zone argument overrides the session zone for the conversion itself
        // (`toDate(x, 'tz')`, `toString(dt, 'tz')`).
        let session = match tz_arg {
            Some(i) => match scalar_refs
                .get(i)
                .copied()
                .flatten()
                .and_then(crate::datetime::args::scalar_str)
            {
                Some(tz) => Zone::parse(&tz)?,
                None => session,
            },
            None => session,
        };
        let x = &cols[0];
        if matches!(x.data_type(), DataType::Null) && args.return_field.is_nullable() {
            // `NULL::Nullable(String)`: NULL of the target type (not the text "NULL").
            let rows = if all_scalar { 1 } else { x.len() };
            let out = datafusion::arrow::array::new_null_array(args.return_field.data_type(), rows);
            return output(out, all_scalar);
        }
        let out: ArrayRef = match &self.target {
            Target::Str => {
                let from = match (tz_arg, input_t.base()) {
                    (Some(_), ChType::DateTime(_)) => ChType::DateTime(Some(session.name())),
                    (Some(_), ChType::DateTime64(p, _)) => {
                        ChType::DateTime64(*p, Some(session.name()))
                    }
                    _ => input_t.clone(),
                };
                if matches!(input_t.base(), ChType::String) {
                    Arc::clone(x)
                } else {
                    let x = strip_tz(x, &from)?;
                    render(&x, &from, session)
                }
            }
            Target::BestEffort { p64, us } => {
                best_effort_column(x, &target, *p64, *us, self.fail, session)?
            }
            _ => {
                let default_col;
                let on_error = match self.fail {
                    Fail::Throw => OnError::Throw,
                    Fail::Null => OnError::Null,
                    Fail::Zero => OnError::Zero,
                    Fail::Default => {
                        let dflt_idx = match self.target {
                            Target::Decimal(_) | Target::DateTime64 | Target::Cast => 2,
                            _ => 1,
                        };
                        match cols.get(dflt_idx) {
                            Some(d) => {
                                let dt = arg_type(&args.arg_fields[dflt_idx]);
                                let opts = CastOptions {
                                    session,
                                    accurate: false,
                                    on_error: OnError::Throw,
                                    zone: None,
                                };
                                default_col =
                                    cast_array(d, &dt, &target.clone().into_nullable(), &opts)?;
                                OnError::Default(default_col.as_ref())
                            }
                            None => OnError::Zero,
                        }
                    }
                };
                let opts = CastOptions {
                    session,
                    accurate: self.accurate || self.int_or_null(&input_t),
                    on_error,
                    zone: tz_arg.map(|_| session),
                };
                let conv_target = match self.fail {
                    Fail::Null | Fail::Default => result_t.clone().into_nullable(),
                    _ => result_t.clone(),
                };
                let conv_target = if matches!(self.target, Target::LowCard | Target::Nullable) {
                    result_t.clone()
                } else {
                    conv_target
                };
                let r = cast_array(x, &input_t, &conv_target, &opts)?;
                if self.fail == Fail::Default && r.null_count() > 0 {
                    fill_default_nulls(r, &result_t, &opts)?
                } else {
                    r
                }
            }
        };
        let want = args.return_field.data_type();
        let out = if out.data_type() != want {
            crate::conversion::cast::conform(datafusion::arrow::compute::cast(&out, want)?, want)?
        } else {
            out
        };
        output(out, all_scalar)
    }
}

/// `…OrDefault` never returns NULL: NULL inputs become the default too.
fn fill_default_nulls(r: ArrayRef, t: &ChType, opts: &CastOptions) -> Result<ArrayRef> {
    match opts.on_error {
        OnError::Default(d) => {
            let mask = datafusion::arrow::array::BooleanArray::from(
                (0..r.len()).map(|i| r.is_valid(i)).collect::<Vec<bool>>(),
            );
            let d = if d.len() == r.len() { d } else { return Ok(r) };
            let dd = datafusion::arrow::array::make_array(d.to_data());
            Ok(datafusion::arrow::compute::kernels::zip::zip(
                &mask, &r, &dd,
            )?)
        }
        _ => {
            let z = super::cast::zero_value(t);
            let mut sink = Sink::new(t, r.len());
            let src = super::value::Src::new(r.as_ref(), t)?;
            for i in 0..r.len() {
                sink.push(Some(src.get(i).unwrap_or_else(|| z.clone())));
            }
            sink.finish()
        }
    }
}

/// Rebuilds a timestamp array with the time zone of `t` so rendering uses it.
fn strip_tz(x: &ArrayRef, t: &ChType) -> Result<ArrayRef> {
    match (x.data_type(), t) {
        (DataType::Timestamp(..), ChType::DateTime(_) | ChType::DateTime64(..)) => {
            Ok(datafusion::arrow::compute::cast(x, &t.to_arrow())?)
        }
        _ => Ok(Arc::clone(x)),
    }
}

fn best_effort_column(
    x: &ArrayRef,
    target: &ChType,
    p64: bool,
    us: bool,
    fail: Fail,
    session: Zone,
) -> Result<ArrayRef> {
    let zone = Zone::of_type(target, session)?;
    let p = match target {
        ChType::DateTime64(p, _) => *p as u32,
        _ => 0,
    };
    let x = match x.data_type() {
        DataType::Dictionary(_, v) => datafusion::arrow::compute::cast(x, v)?,
        DataType::FixedSizeBinary(_) => {
            let fb = datafusion::arrow::array::AsArray::as_fixed_size_binary(x.as_ref());
            let mut b = StringBuilder::new();
            for i in 0..fb.len() {
                if fb.is_null(i) {
                    b.append_null();
                } else {
                    let v = fb.value(i);
                    let end = v.iter().rposition(|c| *c != 0).map(|e| e + 1).unwrap_or(0);
                    b.append_value(String::from_utf8_lossy(&v[..end]));
                }
            }
            Arc::new(b.finish())
        }
        _ => Arc::clone(x),
    };
    let mut sink = Sink::new(target, x.len());
    let zero = if p64 {
        Val::Time(0, unit_digits(p as u8))
    } else {
        Val::Time(0, 0)
    };
    for i in 0..x.len() {
        let Some(s) = str_at(x.as_ref(), i) else {
            sink.push(None);
            continue;
        };
        match parse_best_effort(s, zone, us) {
            Ok((secs, fd, fv)) => {
                if p64 {
                    let u = unit_digits(p as u8) as u32;
                    let frac = if fd >= p {
                        fv as i128 / 10i128.pow(fd - p)
                    } else {
                        fv as i128 * 10i128.pow(p - fd)
                    };
                    let v = (secs as i128 * 10i128.pow(p) + frac) * 10i128.pow(u - p);
                    sink.push(Some(Val::Time(
                        v.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                        u as u8,
                    )));
                } else {
                    sink.push(Some(Val::Time(secs.clamp(0, u32::MAX as i64), 0)));
                }
            }
            Err(e) => match fail {
                Fail::Throw => return Err(ch_error(e)),
                Fail::Null => sink.push(None),
                _ => sink.push(Some(zero.clone())),
            },
        }
    }
    sink.finish()
}
