//! The aggregate-function model, shaped like ClickHouse's `IAggregateFunction`: an
//! [`AggFunc`] is one function instantiated for concrete argument types and parameters
//! (it knows its ClickHouse name, argument types and result type and creates states); an
//! [`AggState`] is the running state of one group, which can add rows, merge another state,
//! serialize itself in ClickHouse's binary format and produce the final value.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use crate::ch_bail;

/// A shared instantiated aggregate function.
pub type AggFuncRef = Arc<AggFunc>;

/// Creates a fresh, empty state.
pub type StateFactory = Arc<dyn Fn() -> Box<dyn AggState> + Send + Sync>;

/// One aggregate function for concrete argument types and parameters.
pub struct AggFunc {
    /// ClickHouse name including parameters, as it appears in `AggregateFunction(...)`
    /// types: `sum`, `quantile(0.9)`, `sumIf`.
    pub name: String,
    /// Argument types (as written in `AggregateFunction(name, T…)`).
    pub args: Vec<ChType>,
    /// Result type.
    pub ret: ChType,
    /// Makes an empty state.
    pub factory: StateFactory,
}

impl fmt::Debug for AggFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AggFunc({}", self.name)?;
        for a in &self.args {
            write!(f, ", {a}")?;
        }
        write!(f, ") -> {}", self.ret)
    }
}

impl AggFunc {
    /// Builds a function from its parts.
    pub fn new(
        name: impl Into<String>,
        args: Vec<ChType>,
        ret: ChType,
        factory: impl Fn() -> Box<dyn AggState> + Send + Sync + 'static,
    ) -> AggFuncRef {
        Arc::new(AggFunc {
            name: name.into(),
            args,
            ret,
            factory: Arc::new(factory),
        })
    }

    /// An empty state.
    pub fn new_state(&self) -> Box<dyn AggState> {
        (self.factory)()
    }

    /// The `AggregateFunction(name, T…)` type of this function's states.
    pub fn state_type(&self) -> ChType {
        ChType::AggregateFunction {
            func: self.name.clone(),
            args: self.args.clone(),
        }
    }

    /// Deserializes a state written by [`AggState::serialize`] of this function.
    pub fn read_state(&self, bytes: &[u8]) -> Result<Box<dyn AggState>> {
        let mut st = self.new_state();
        let mut r = Reader::new(bytes);
        st.deserialize(&mut r)?;
        Ok(st)
    }
}

/// The running state of one aggregate function for one group.
pub trait AggState: Send + Sync + fmt::Debug {
    /// For [`AggState::merge`] implementations to downcast the other state.
    fn as_any(&self) -> &dyn Any;
    /// Adds every row of the argument columns (NULLs have already been removed unless the
    /// function handles them itself, e.g. `count`).
    fn add(&mut self, args: &[ArrayRef]) -> Result<()>;
    /// Adds the rows where `mask` is true (the `-If` combinator) without filtering the
    /// columns first; `Ok(false)`, with nothing added, when the state has no such path
    /// (the caller then filters and calls [`AggState::add`]).
    fn add_selected(&mut self, _args: &[ArrayRef], _mask: &BooleanArray) -> Result<bool> {
        Ok(false)
    }
    /// Merges another state of the same function into this one.
    fn merge(&mut self, other: &dyn AggState) -> Result<()>;
    /// Appends this state in ClickHouse's binary format.
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()>;
    /// Replaces this (empty) state with one read from `r`.
    fn deserialize(&mut self, r: &mut Reader) -> Result<()>;
    /// The final value, of the function's result type.
    fn finalize(&self) -> Result<ScalarValue>;
    /// Approximate memory used, in bytes.
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// Downcasts `other` to the concrete state type `T` (a mismatch is a bug: merges only
/// ever combine states of one function, checked by type names beforehand).
pub fn same<T: 'static>(other: &dyn AggState) -> Result<&T> {
    match other.as_any().downcast_ref::<T>() {
        Some(t) => Ok(t),
        None => ch_bail!(
            CANNOT_ADD_DIFFERENT_AGGREGATE_STATES,
            "Cannot merge aggregate states of different functions: {other:?}"
        ),
    }
}

/// A parameter of a parametric aggregate: `0.9` in `quantile(0.9)(x)`.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// A non-negative integer literal.
    UInt(u64),
    /// A negative integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A string literal.
    Str(String),
}

impl Param {
    /// The value as a float (strings are not numbers).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Param::UInt(v) => Some(*v as f64),
            Param::Int(v) => Some(*v as f64),
            Param::Float(v) => Some(*v),
            Param::Str(_) => None,
        }
    }

    /// The value as an unsigned integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Param::UInt(v) => Some(*v),
            _ => None,
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::UInt(v) => write!(f, "{v}"),
            Param::Int(v) => write!(f, "{v}"),
            Param::Float(v) => write!(f, "{v}"),
            Param::Str(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }
}

/// `name` or `name(p1, p2…)` as ClickHouse prints a (parametric) function in types.
pub fn display_name(name: &str, params: &[Param]) -> String {
    if params.is_empty() {
        name.to_string()
    } else {
        let ps: Vec<String> = params.iter().map(Param::to_string).collect();
        format!("{name}({})", ps.join(", "))
    }
}

/// Implements [`AggState::as_any`].
#[macro_export]
macro_rules! impl_as_any {
    () => {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    };
}
