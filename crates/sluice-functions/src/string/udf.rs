//! The UDF shell shared by the string, array and hash families.
//!
//! A [`ChUdf`] is described by two plain functions: a *type rule* ([`ReturnFn`]) that maps
//! the ClickHouse argument types (and constant arguments) to the ClickHouse result type, and
//! a *kernel* ([`InvokeFn`]) that computes the result column from argument columns. The
//! shell implements ClickHouse's generic argument handling around them:
//!
//! - [`Nulls::Default`] — ClickHouse's default NULL implementation: the rule and kernel see
//!   the argument types with `Nullable` removed; a `Nullable` argument makes the result
//!   `Nullable` and NULL wherever any argument is NULL; a `Nullable(Nothing)` (bare `NULL`)
//!   argument makes the whole result `Nullable(Nothing)`. [`Nulls::Custom`] hands the
//!   arguments over unchanged.
//! - LowCardinality: when `low_card` is set, dictionary arguments are decoded, the rule sees
//!   the inner types, and when every argument is `LowCardinality` or constant (at least one
//!   `LowCardinality`) the result is `LowCardinality` — ClickHouse's default implementation
//!   for LowCardinality columns.
//! - Constant folding: when every argument is a scalar the kernel runs on one row and the
//!   result is a scalar.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, make_array, new_null_array};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use sluice_common::{CH_TYPE_KEY, ChType};

use crate::util::{arg_type, ch_field};

/// What a type rule sees: the function name, argument types (after the shell's NULL and
/// LowCardinality handling) and which arguments are constants.
pub(crate) struct TypeArgs<'a> {
    /// The function name as registered.
    pub name: &'a str,
    /// ClickHouse argument types.
    pub types: Vec<ChType>,
    /// Constant argument values (`None` for columns).
    pub consts: Vec<Option<ScalarValue>>,
    /// Arrow types of the arguments (dictionaries decoded).
    pub arrow: Vec<DataType>,
}

/// The result of a type rule: a ClickHouse type, and for `String` results whether the
/// column is stored as Arrow `Binary` (bytes that need not be UTF-8) instead of `Utf8`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ret {
    /// The ClickHouse result type.
    pub t: ChType,
    /// Store a `String` result as `Binary`.
    pub binary: bool,
}

impl From<ChType> for Ret {
    fn from(t: ChType) -> Ret {
        Ret { t, binary: false }
    }
}

/// A type rule.
pub(crate) type ReturnFn = fn(&TypeArgs) -> Result<Ret>;

/// What a kernel sees: argument columns of `rows` rows (dictionaries decoded), their
/// ClickHouse types, constants, and the result type.
pub(crate) struct Args {
    /// The function name as registered.
    pub name: &'static str,
    /// Argument columns, each `rows` long.
    pub cols: Vec<ArrayRef>,
    /// ClickHouse argument types (as the rule saw them).
    pub types: Vec<ChType>,
    /// Constant argument values (`None` for columns).
    pub consts: Vec<Option<ScalarValue>>,
    /// The result type without the `Nullable`/`LowCardinality` the shell adds.
    pub ret: Ret,
    /// Number of rows.
    pub rows: usize,
}

impl Args {
    /// The Arrow type the kernel must produce.
    pub fn ret_arrow(&self) -> DataType {
        if self.ret.binary {
            DataType::Binary
        } else {
            self.ret.t.to_arrow()
        }
    }
}

/// Bytes of a string-like scalar (`None` when NULL or not a string).
pub(crate) fn scalar_bytes(v: &ScalarValue) -> Option<Vec<u8>> {
    match v {
        ScalarValue::Utf8(s) | ScalarValue::LargeUtf8(s) | ScalarValue::Utf8View(s) => {
            s.as_ref().map(|s| s.as_bytes().to_vec())
        }
        ScalarValue::Binary(b)
        | ScalarValue::LargeBinary(b)
        | ScalarValue::BinaryView(b)
        | ScalarValue::FixedSizeBinary(_, b) => b.clone(),
        ScalarValue::Dictionary(_, inner) => scalar_bytes(inner),
        _ => None,
    }
}

/// A kernel.
pub(crate) type InvokeFn = fn(&Args) -> Result<ArrayRef>;

/// How the shell treats NULLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Nulls {
    /// ClickHouse's default implementation for NULLs.
    Default,
    /// The rule and kernel handle `Nullable` themselves.
    Custom,
}

/// A ClickHouse scalar function built from a type rule and a kernel.
pub(crate) struct ChUdf {
    name: &'static str,
    aliases: Vec<String>,
    signature: Signature,
    ret: ReturnFn,
    invoke: InvokeFn,
    nulls: Nulls,
    low_card: bool,
}

impl fmt::Debug for ChUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChUdf").field("name", &self.name).finish()
    }
}

impl PartialEq for ChUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.aliases == other.aliases
            && std::ptr::fn_addr_eq(self.ret, other.ret)
            && std::ptr::fn_addr_eq(self.invoke, other.invoke)
            && self.nulls == other.nulls
            && self.low_card == other.low_card
    }
}

impl Eq for ChUdf {}

impl Hash for ChUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.aliases.hash(state);
    }
}

impl ChUdf {
    /// A function with default NULL and LowCardinality handling.
    pub fn new(name: &'static str, ret: ReturnFn, invoke: InvokeFn) -> ChUdf {
        ChUdf {
            name,
            aliases: Vec::new(),
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::UserDefined],
                Volatility::Immutable,
            ),
            ret,
            invoke,
            nulls: Nulls::Default,
            low_card: true,
        }
    }

    /// Sets the NULL handling.
    pub fn nulls(mut self, nulls: Nulls) -> ChUdf {
        self.nulls = nulls;
        self
    }

    /// Turns off LowCardinality handling: the rule sees `LowCardinality` types and the kernel
    /// gets dictionary columns as they are.
    pub fn no_low_card(mut self) -> ChUdf {
        self.low_card = false;
        self
    }

    /// Adds the lower- and upper-case spellings (for ClickHouse's case-insensitive names).
    pub fn case_insensitive(mut self) -> ChUdf {
        for s in [
            self.name.to_ascii_lowercase(),
            self.name.to_ascii_uppercase(),
        ] {
            if s != self.name && !self.aliases.contains(&s) {
                self.aliases.push(s);
            }
        }
        self
    }

    /// Adds case-insensitive aliases: each name plus its lower- and upper-case spellings.
    pub fn ci_aliases(mut self, names: &[&str]) -> ChUdf {
        for n in names {
            for s in [
                n.to_string(),
                n.to_ascii_lowercase(),
                n.to_ascii_uppercase(),
            ] {
                if s != self.name && !self.aliases.contains(&s) {
                    self.aliases.push(s);
                }
            }
        }
        self
    }

    /// Wraps into a DataFusion `ScalarUDF`.
    pub fn build(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }

    fn plan(&self, fields: &[FieldRef], consts: Vec<Option<ScalarValue>>) -> Result<Plan> {
        let mut types: Vec<ChType> = fields.iter().map(|f| arg_type(f)).collect();
        let mut arrow: Vec<DataType> = fields.iter().map(|f| decoded(f.data_type())).collect();
        let mut low_card = false;
        if self.low_card {
            // ClickHouse keeps LowCardinality only when every other argument is a constant.
            let only_lc_or_const = types
                .iter()
                .zip(&consts)
                .all(|(t, c)| matches!(t, ChType::LowCardinality(_)) || c.is_some());
            for t in &mut types {
                if let ChType::LowCardinality(inner) = t {
                    low_card = only_lc_or_const;
                    *t = (**inner).clone();
                }
            }
        } else {
            arrow = fields.iter().map(|f| f.data_type().clone()).collect();
        }
        let mut nullable = false;
        let mut all_null = false;
        if self.nulls == Nulls::Default {
            for t in &mut types {
                if let ChType::Nullable(inner) = t {
                    nullable = true;
                    if **inner == ChType::Nothing {
                        all_null = true;
                    }
                    *t = (**inner).clone();
                }
            }
            for a in &mut arrow {
                if *a == DataType::Null {
                    all_null = true;
                }
            }
        }
        let targs = TypeArgs {
            name: self.name,
            types,
            consts,
            arrow,
        };
        if all_null {
            // A bare NULL argument: the result is NULL whatever the other arguments are.
            return Ok(Plan {
                targs,
                inner: ChType::Nothing.into(),
                outer: ChType::Nullable(Box::new(ChType::Nothing)),
                all_null,
                low_card: false,
            });
        }
        let ret = (self.ret)(&targs)?;
        if all_null {
            return Ok(Plan {
                targs,
                inner: ret,
                outer: ChType::Nullable(Box::new(ChType::Nothing)),
                all_null,
                low_card: false,
            });
        }
        let mut outer = ret.t.clone();
        if nullable && !matches!(outer, ChType::Nothing) {
            outer = outer.into_nullable();
        }
        let low_card = low_card && can_be_low_card(&ret.t);
        if low_card {
            outer = ChType::LowCardinality(Box::new(outer));
        }
        Ok(Plan {
            targs,
            inner: ret,
            outer,
            all_null,
            low_card,
        })
    }
}

struct Plan {
    targs: TypeArgs<'static>,
    inner: Ret,
    outer: ChType,
    all_null: bool,
    low_card: bool,
}

fn can_be_low_card(t: &ChType) -> bool {
    !matches!(
        t.base(),
        ChType::Array(_)
            | ChType::Tuple(_)
            | ChType::Map(..)
            | ChType::Nothing
            | ChType::AggregateFunction { .. }
            | ChType::Decimal { .. }
            | ChType::Uuid
            | ChType::IPv4
            | ChType::IPv6
    )
}

fn decoded(dt: &DataType) -> DataType {
    match dt {
        DataType::Dictionary(_, v) => (**v).clone(),
        d => d.clone(),
    }
}

fn result_field(name: &str, plan: &Plan) -> FieldRef {
    if plan.inner.binary && !plan.all_null {
        let mut dt = DataType::Binary;
        if plan.low_card {
            dt = DataType::Dictionary(Box::new(DataType::Int32), Box::new(dt));
        }
        let mut md = HashMap::new();
        md.insert(CH_TYPE_KEY.to_string(), plan.outer.to_string());
        Arc::new(Field::new(name, dt, plan.outer.is_nullable()).with_metadata(md))
    } else {
        ch_field(name, &plan.outer)
    }
}

fn scalar_of(v: &ScalarValue) -> ScalarValue {
    match v {
        ScalarValue::Dictionary(_, inner) => scalar_of(inner),
        v => v.clone(),
    }
}

impl ScalarUDFImpl for ChUdf {
    fn name(&self) -> &str {
        self.name
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
        datafusion::common::internal_err!("{}: return_field_from_args is used instead", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let consts = args
            .scalar_arguments
            .iter()
            .map(|s| s.map(scalar_of))
            .collect();
        let plan = self.plan(args.arg_fields, consts)?;
        Ok(result_field(self.name, &plan))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = !args.args.is_empty()
            && args
                .args
                .iter()
                .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let consts = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) => Some(scalar_of(s)),
                ColumnarValue::Array(_) => None,
            })
            .collect();
        let plan = self.plan(&args.arg_fields, consts)?;
        // The planned field wins: which arguments are constants (and so whether the result
        // is LowCardinality) may look different at execution time.
        let out_field = Arc::clone(&args.return_field);
        if plan.all_null {
            let arr = new_null_array(out_field.data_type(), rows);
            return finish(arr, all_scalar, args.number_rows);
        }
        let mut cols = Vec::with_capacity(args.args.len());
        for a in &args.args {
            let arr = a.to_array(rows)?;
            let arr = match arr.data_type() {
                DataType::Dictionary(_, v) if self.low_card => cast(&arr, v)?,
                _ => arr,
            };
            cols.push(arr);
        }
        let nulls = if self.nulls == Nulls::Default && plan.outer.is_nullable() {
            cols.iter().fold(None, |acc: Option<NullBuffer>, c| {
                NullBuffer::union(acc.as_ref(), c.logical_nulls().as_ref())
            })
        } else {
            None
        };
        let kargs = Args {
            name: self.name,
            cols,
            types: plan.targs.types,
            consts: plan.targs.consts,
            ret: plan.inner,
            rows,
        };
        let mut out = (self.invoke)(&kargs)?;
        if let Some(n) = nulls {
            let merged = NullBuffer::union(Some(&n), out.logical_nulls().as_ref());
            let data = out.to_data().into_builder().nulls(merged).build()?;
            out = make_array(data);
        }
        if out.data_type() != out_field.data_type() {
            out = cast(&out, out_field.data_type())?;
        }
        finish(out, all_scalar, args.number_rows)
    }
}

/// The kernel's column as DataFusion expects it: a scalar when every argument was one —
/// unless the scalar would lose nested field metadata, then the row repeated `rows` times.
fn finish(arr: ArrayRef, scalar: bool, rows: usize) -> Result<ColumnarValue> {
    if !scalar {
        return Ok(ColumnarValue::Array(arr));
    }
    // Nested one-row results become scalars holding the array itself, which keeps the
    // element fields' metadata (`try_from_array` would rebuild them without it).
    let v = match arr.data_type() {
        DataType::List(_) if arr.len() == 1 => {
            ScalarValue::List(Arc::new(arr.as_list::<i32>().clone()))
        }
        DataType::Struct(_) if arr.len() == 1 => {
            ScalarValue::Struct(Arc::new(arr.as_struct().clone()))
        }
        DataType::Map(..) if arr.len() == 1 => ScalarValue::Map(Arc::new(arr.as_map().clone())),
        _ => ScalarValue::try_from_array(&arr, 0)?,
    };
    if v.data_type() == *arr.data_type() {
        return Ok(ColumnarValue::Scalar(v));
    }
    let idx = datafusion::arrow::array::UInt32Array::from(vec![0u32; rows]);
    Ok(ColumnarValue::Array(datafusion::arrow::compute::take(
        arr.as_ref(),
        &idx,
        None,
    )?))
}
