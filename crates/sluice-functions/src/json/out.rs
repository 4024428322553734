//! Column builders the JSON functions write into directly (no per-value allocation):
//! strings as one value buffer plus offsets, numbers as one vector, arrays of strings and
//! arrays of `(key, value)` string pairs as offsets over such columns.

use std::sync::Arc;

use datafusion::arrow::array::NullBufferBuilder;
use datafusion::arrow::array::{ArrayRef, ListArray, PrimitiveArray, StringArray, StructArray};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType, FieldRef};
use datafusion::error::Result;

/// A string column under construction.
pub struct StrOut {
    /// Concatenated values.
    pub values: Vec<u8>,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
}

impl StrOut {
    /// An empty builder for about `rows` rows.
    pub fn new(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrOut {
            values: Vec::with_capacity(rows * 8),
            offsets,
            nulls: NullBufferBuilder::new(rows),
        }
    }
    /// Ends the current row (whose bytes were pushed to `values`).
    #[inline]
    pub fn commit(&mut self) {
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_non_null();
    }
    /// Appends a row.
    #[inline]
    pub fn push(&mut self, v: &[u8]) {
        self.values.extend_from_slice(v);
        self.commit();
    }
    /// Appends `src[s..e]` as a row. A span of at most 16 bytes with 16 bytes of `src`
    /// from `s` is copied as one 16-byte move and cut back (short values such as dates
    /// and op codes otherwise cost a `memcpy` call each).
    #[inline]
    pub fn push_span(&mut self, src: &[u8], s: usize, e: usize) {
        let n = e.saturating_sub(s);
        let wide: Option<&[u8; 16]> = src.get(s..s + 16).and_then(|w| w.try_into().ok());
        match wide {
            Some(w) if n <= 16 => {
                let len = self.values.len();
                self.values.extend_from_slice(w);
                self.values.truncate(len + n);
            }
            _ => self
                .values
                .extend_from_slice(src.get(s..e).unwrap_or_default()),
        }
        self.commit();
    }
    /// Appends a NULL row.
    #[inline]
    pub fn null(&mut self) {
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_null();
    }
    /// Number of rows so far.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }
    /// Whether no rows were appended.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The column.
    pub fn finish(mut self) -> Result<StringArray> {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        Ok(StringArray::try_new(
            offsets,
            self.values.into(),
            self.nulls.finish(),
        )?)
    }
}

/// A primitive column under construction.
pub struct NumOut<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    nulls: NullBufferBuilder,
}

impl<T: ArrowPrimitiveType> NumOut<T> {
    /// An empty builder for about `rows` rows.
    pub fn new(rows: usize) -> Self {
        NumOut {
            values: Vec::with_capacity(rows),
            nulls: NullBufferBuilder::new(rows),
        }
    }
    /// Appends a value.
    #[inline]
    pub fn push(&mut self, v: T::Native) {
        self.values.push(v);
        self.nulls.append_non_null();
    }
    /// Appends a NULL.
    #[inline]
    pub fn null(&mut self) {
        self.values.push(T::Native::default());
        self.nulls.append_null();
    }
    /// The column, typed as `dt` (for timestamps with a time zone).
    pub fn finish_as(mut self, dt: &DataType) -> Result<ArrayRef> {
        let a = PrimitiveArray::<T>::new(self.values.into(), self.nulls.finish());
        Ok(Arc::new(a.with_data_type(dt.clone())))
    }
}

/// An `Array(String)` or `Array(Tuple(String, String))` column under construction.
pub struct ListOut {
    /// First strings (array elements, or keys).
    pub a: StrOut,
    /// Second strings (values), for pairs.
    pub b: Option<StrOut>,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
}

impl ListOut {
    /// A builder of arrays of strings (`pairs = false`) or of string pairs.
    pub fn new(rows: usize, pairs: bool) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        ListOut {
            a: StrOut::new(rows),
            b: pairs.then(|| StrOut::new(rows)),
            offsets,
            nulls: NullBufferBuilder::new(rows),
        }
    }
    /// Ends the current row (whose elements were pushed).
    #[inline]
    pub fn commit(&mut self) {
        self.offsets.push(self.a.len() as i32);
        self.nulls.append_non_null();
    }
    /// Appends a NULL row.
    pub fn null(&mut self) {
        self.offsets.push(self.a.len() as i32);
        self.nulls.append_null();
    }
    /// The column of type `dt` (`List(String)` or `List(Struct(String, String))`).
    pub fn finish(mut self, dt: &DataType) -> Result<ArrayRef> {
        let DataType::List(item) = dt else {
            return Err(datafusion::error::DataFusionError::Internal(format!(
                "JSON list result of non-list type {dt}"
            )));
        };
        let a: ArrayRef = Arc::new(self.a.finish()?);
        let values: ArrayRef = match (self.b, item.data_type()) {
            (Some(b), DataType::Struct(fields)) => {
                let b: ArrayRef = Arc::new(b.finish()?);
                Arc::new(StructArray::try_new(fields.clone(), vec![a, b], None)?)
            }
            _ => a,
        };
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        let nulls: Option<NullBuffer> = self.nulls.finish();
        let field: FieldRef = Arc::clone(item);
        Ok(Arc::new(ListArray::try_new(field, offsets, values, nulls)?))
    }
}
