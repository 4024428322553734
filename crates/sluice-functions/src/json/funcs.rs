//! The DOM JSON functions as one UDF type, [`JsonFunc`], parameterised by an [`Op`]:
//! `JSONHas`, `JSONLength`, `JSONType`, `JSONKey`, `isValidJSON`, `JSONArrayLength`,
//! `JSONExtract{String,UInt,Int,Float,Bool,Raw}`, `JSONExtractKeys`, `JSONExtractArrayRaw`,
//! `JSONExtractKeysAndValuesRaw`, and the typed `JSONExtract` / `JSONExtractKeysAndValues`
//! (see `extract.rs`), plus the `…CaseInsensitive` variants.

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use sluice_common::ChType;

use super::doc::Kind;
use super::eval::{ArgInfo, Found, Options, check_args, for_each_row, result_type};
use super::extract;
use super::fused::{self, Sig};
use super::out::ListOut;
use super::serialize::write_value;
use super::sink::RowSink;
use crate::ch_bail;
use crate::util::ch_field;

/// Which JSON function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Has,
    Length,
    Type,
    Key,
    IsValid,
    ArrayLength,
    ExtractString,
    ExtractUInt,
    ExtractInt,
    ExtractFloat,
    ExtractBool,
    ExtractRaw,
    ExtractKeys,
    ExtractArrayRaw,
    ExtractKeysAndValuesRaw,
    /// `JSONExtract(json, path…, 'Type')`.
    Extract,
    /// `JSONExtractKeysAndValues(json, path…, 'Type')`.
    ExtractKeysAndValues,
}

impl Op {
    /// Whether the last argument is a type name rather than a path step.
    pub fn typed(self) -> bool {
        matches!(self, Op::Extract | Op::ExtractKeysAndValues)
    }
}

/// A DOM JSON function.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonFunc {
    name: String,
    aliases: Vec<String>,
    pub(crate) op: Op,
    pub(crate) case_insensitive: bool,
    /// Path-argument counts per nesting level; empty means one level with every path
    /// argument (an ordinary call). Set by the nested-call rewrite.
    pub(crate) levels: Vec<usize>,
    signature: Signature,
}

impl JsonFunc {
    /// The function `name` performing `op`.
    pub fn new(name: &str, op: Op, case_insensitive: bool) -> Self {
        JsonFunc {
            name: name.to_string(),
            aliases: Vec::new(),
            op,
            case_insensitive,
            levels: Vec::new(),
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }

    /// With alias names.
    pub fn with_aliases(mut self, aliases: &[&str]) -> Self {
        self.aliases = aliases.iter().map(|s| s.to_string()).collect();
        self
    }

    /// A copy evaluating `levels` nested path levels (see `nested.rs`).
    pub(crate) fn with_levels(&self, levels: Vec<usize>) -> Self {
        JsonFunc {
            levels,
            aliases: Vec::new(),
            ..self.clone()
        }
    }

    fn min_args(&self) -> usize {
        if self.op.typed() { 2 } else { 1 }
    }

    /// The result type for ClickHouse base type `t`.
    fn base_type(&self, type_arg: Option<&ScalarValue>) -> Result<ChType> {
        use ChType as T;
        Ok(match self.op {
            Op::Has | Op::IsValid | Op::ExtractBool => T::UInt8,
            Op::Length | Op::ExtractUInt => T::UInt64,
            Op::ArrayLength => T::Nullable(Box::new(T::UInt64)),
            Op::Type => json_type_enum(),
            Op::Key | Op::ExtractString | Op::ExtractRaw => T::String,
            Op::ExtractInt => T::Int64,
            Op::ExtractFloat => T::Float64,
            Op::ExtractKeys | Op::ExtractArrayRaw => T::Array(Box::new(T::String)),
            Op::ExtractKeysAndValuesRaw => T::Array(Box::new(T::Tuple(vec![
                (None, T::String),
                (None, T::String),
            ]))),
            Op::Extract | Op::ExtractKeysAndValues => {
                let t = type_name_arg(&self.name, type_arg)?;
                let t = ChType::parse(&t).map_err(crate::util::ch_error)?;
                if self.op == Op::Extract {
                    t
                } else {
                    T::Array(Box::new(T::Tuple(vec![(None, T::String), (None, t)])))
                }
            }
        })
    }

    fn path_len(&self, nargs: usize) -> usize {
        nargs - 1 - usize::from(self.op.typed())
    }
}

/// `JSONType`'s result type.
pub fn json_type_enum() -> ChType {
    ChType::Enum8(
        [
            ("Null", 0),
            ("String", 34),
            ("Array", 91),
            ("Bool", 98),
            ("Double", 100),
            ("Int64", 105),
            ("UInt64", 117),
            ("Object", 123),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect(),
    )
}

fn type_name_arg(name: &str, v: Option<&ScalarValue>) -> Result<String> {
    let s = match v {
        Some(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
        ) => s.clone(),
        _ => ch_bail!(
            ILLEGAL_COLUMN,
            "The last argument of function {name} should be a constant string specifying the return data type"
        ),
    };
    Ok(s)
}

impl ScalarUDFImpl for JsonFunc {
    fn name(&self) -> &str {
        &self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Err(datafusion::error::DataFusionError::Internal(
            "JSON functions use return_field_from_args".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let n = args.arg_fields.len();
        let exact_one = matches!(self.op, Op::IsValid | Op::ArrayLength);
        if exact_one && n != 1 {
            if self.op == Op::IsValid {
                ch_bail!(
                    NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                    "Function {} needs exactly one argument",
                    self.name
                );
            }
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Number of arguments for function {} doesn't match: passed {n}, should be 1",
                self.name
            );
        }
        if n < self.min_args() {
            let what = if self.min_args() == 2 {
                "two arguments"
            } else {
                "one argument"
            };
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Function {} requires at least {what}",
                self.name
            );
        }
        // ClickHouse checks the type argument first (`ILLEGAL_COLUMN` wins).
        let type_arg = if self.op.typed() {
            args.scalar_arguments[n - 1]
        } else {
            None
        };
        let base = self.base_type(type_arg)?;
        let path = &args.arg_fields[1..1 + self.path_len(n)];
        let info = check_args(&self.name, &args.arg_fields[0], path)?;
        if self.op == Op::Extract && info.nullable && !info.json_is_null {
            extract::check_nullable_target(&base)?;
        }
        let t = result_type(base, &info)?;
        Ok(ch_field(self.name(), &t))
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        super::nested::simplify(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let out_type = args.return_field.data_type().clone();
        // Nested results are returned as arrays: a `ScalarValue` of a list or struct would
        // lose the field metadata the planner promised.
        let nested = out_type.is_nested();
        let all_scalar = !nested
            && args
                .args
                .iter()
                .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let n = args.args.len();
        let path_len = self.path_len(n);
        let one_level = [path_len];
        let levels: &[usize] = if self.levels.is_empty() {
            &one_level
        } else {
            &self.levels
        };
        let opts = Options {
            levels,
            case_insensitive: self.case_insensitive,
        };
        let json_null = matches!(out_type, DataType::Null);
        let array: ArrayRef = if json_null {
            datafusion::arrow::array::new_null_array(&DataType::Null, rows)
        } else {
            let column = args.arg_fields.first().map_or("", |f| f.name().as_str());
            let fusable = if all_scalar {
                None
            } else {
                Sig::of(
                    self.op,
                    self.case_insensitive,
                    levels,
                    &args.args,
                    column,
                    &out_type,
                )?
            };
            if let (Some(sig), ColumnarValue::Array(json)) = (fusable, &args.args[0]) {
                return Ok(ColumnarValue::Array(fused::evaluate(sig, json)?));
            }
            let info = ArgInfo {
                json_is_null: false,
                nullable: args.return_field.is_nullable(),
            };
            self.run(&args.args, path_len, rows, opts, &out_type, &info)?
        };
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &array, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(array))
        }
    }
}

impl JsonFunc {
    fn run(
        &self,
        args: &[ColumnarValue],
        path_len: usize,
        rows: usize,
        opts: Options<'_>,
        out_type: &DataType,
        info: &ArgInfo,
    ) -> Result<ArrayRef> {
        if let Some(mut sink) = RowSink::new(self.op, rows) {
            for_each_row(args, path_len, rows, opts, |f| sink.push(f))?;
            return sink.finish(out_type);
        }
        match self.op {
            Op::ExtractKeys | Op::ExtractArrayRaw | Op::ExtractKeysAndValuesRaw => {
                let op = self.op;
                let mut o = ListOut::new(rows, op == Op::ExtractKeysAndValuesRaw);
                for_each_row(args, path_len, rows, opts, |f| match f {
                    Found::Null => o.null(),
                    Found::Missing => o.commit(),
                    Found::Value(d, i) => {
                        let fits = match op {
                            Op::ExtractArrayRaw => d.is_array(i),
                            _ => d.is_object(i),
                        };
                        if fits {
                            for c in d.children(i) {
                                match op {
                                    Op::ExtractKeys => o.a.push(&d.key(c)),
                                    Op::ExtractArrayRaw => {
                                        write_value(&d, c, &mut o.a.values);
                                        o.a.commit();
                                    }
                                    _ => {
                                        o.a.push(&d.key(c));
                                        if let Some(b) = o.b.as_mut() {
                                            write_value(&d, c, &mut b.values);
                                            b.commit();
                                        }
                                    }
                                }
                            }
                        }
                        o.commit();
                    }
                })?;
                o.finish(out_type)
            }
            Op::Extract | Op::ExtractKeysAndValues => {
                let type_arg = match args.last() {
                    Some(ColumnarValue::Scalar(s)) => Some(s),
                    _ => None,
                };
                let t = ChType::parse(&type_name_arg(&self.name, type_arg)?)
                    .map_err(crate::util::ch_error)?;
                extract::run(
                    args,
                    path_len,
                    rows,
                    opts,
                    &t,
                    self.op == Op::ExtractKeysAndValues,
                    info.nullable,
                    out_type,
                )
            }
            // Scalar-valued functions were handled by `RowSink` above.
            _ => Err(datafusion::error::DataFusionError::Internal(format!(
                "{} has no row sink",
                self.name
            ))),
        }
    }
}

/// `JSONType`'s name for a kind.
pub fn type_name(k: Kind) -> &'static [u8] {
    match k {
        Kind::Null => b"Null",
        Kind::Bool(_) => b"Bool",
        Kind::Int(_) => b"Int64",
        Kind::UInt(_) => b"UInt64",
        Kind::Double(_) => b"Double",
        Kind::Str => b"String",
        Kind::Array => b"Array",
        Kind::Object => b"Object",
    }
}
