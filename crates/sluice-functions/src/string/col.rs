//! Column access shared by the string, array and hash kernels: reading any Arrow string or
//! binary column as ClickHouse bytes ([`StrCol`]), building string results ([`StrBuilder`]),
//! and reading integer arguments of any width ([`ints`]).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, BooleanArray, FixedSizeBinaryArray,
    LargeBinaryArray, LargeStringArray, StringArray, StringViewArray,
};
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::common::Result;
use datafusion::common::cast::as_primitive_array;

use crate::ch_bail;

/// Any string-like column read as bytes.
pub(crate) enum StrCol<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    BinaryView(&'a BinaryViewArray),
    Fixed(&'a FixedSizeBinaryArray),
}

impl<'a> StrCol<'a> {
    /// Reads `arr` as bytes; `func` names the function for the error message.
    pub fn new(arr: &'a ArrayRef, func: &str) -> Result<StrCol<'a>> {
        let any = arr.as_any();
        let c = match arr.data_type() {
            DataType::Utf8 => any.downcast_ref().map(StrCol::Utf8),
            DataType::LargeUtf8 => any.downcast_ref().map(StrCol::LargeUtf8),
            DataType::Utf8View => any.downcast_ref().map(StrCol::Utf8View),
            DataType::Binary => any.downcast_ref().map(StrCol::Binary),
            DataType::LargeBinary => any.downcast_ref().map(StrCol::LargeBinary),
            DataType::BinaryView => any.downcast_ref().map(StrCol::BinaryView),
            DataType::FixedSizeBinary(_) => any.downcast_ref().map(StrCol::Fixed),
            _ => None,
        };
        match c {
            Some(c) => Ok(c),
            None => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {} of argument of function {func}",
                sluice_common::ChType::from_arrow(arr.data_type(), false)
            ),
        }
    }

    /// The bytes of row `i` (empty for a NULL row of a variable-width column).
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        match self {
            StrCol::Utf8(a) => a.value(i).as_bytes(),
            StrCol::LargeUtf8(a) => a.value(i).as_bytes(),
            StrCol::Utf8View(a) => a.value(i).as_bytes(),
            StrCol::Binary(a) => a.value(i),
            StrCol::LargeBinary(a) => a.value(i),
            StrCol::BinaryView(a) => a.value(i),
            StrCol::Fixed(a) => a.value(i),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            StrCol::Utf8(a) => a.len(),
            StrCol::LargeUtf8(a) => a.len(),
            StrCol::Utf8View(a) => a.len(),
            StrCol::Binary(a) => a.len(),
            StrCol::LargeBinary(a) => a.len(),
            StrCol::BinaryView(a) => a.len(),
            StrCol::Fixed(a) => a.len(),
        }
    }
}

/// Builds a `String` column row by row, as `Utf8` (invalid UTF-8 sequences replaced) or as
/// `Binary` (bytes kept exactly).
pub(crate) struct StrBuilder {
    values: Vec<u8>,
    offsets: Vec<i32>,
    binary: bool,
}

impl StrBuilder {
    /// A builder for about `rows` rows.
    pub fn new(rows: usize, binary: bool) -> StrBuilder {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrBuilder {
            values: Vec::new(),
            offsets,
            binary,
        }
    }

    /// Appends bytes to the current row.
    #[inline]
    pub fn push_bytes(&mut self, b: &[u8]) {
        self.values.extend_from_slice(b);
    }

    /// The bytes of the current row so far.
    pub fn current(&mut self) -> &mut Vec<u8> {
        &mut self.values
    }

    /// Ends the current row.
    #[inline]
    pub fn finish_row(&mut self) -> Result<()> {
        let Ok(end) = i32::try_from(self.values.len()) else {
            ch_bail!(
                TOO_LARGE_STRING_SIZE,
                "String column is too large (over 2 GiB)"
            )
        };
        self.offsets.push(end);
        Ok(())
    }

    /// Appends a whole row.
    #[inline]
    pub fn append(&mut self, b: &[u8]) -> Result<()> {
        self.values.extend_from_slice(b);
        self.finish_row()
    }

    /// The finished column.
    pub fn finish(self) -> Result<ArrayRef> {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        let bin = BinaryArray::try_new(offsets, Buffer::from(self.values), None)?;
        if self.binary {
            return Ok(Arc::new(bin));
        }
        // One validation pass; the buffers are reused (the clone only copies pointers).
        if let Ok(a) = StringArray::try_from_binary(bin.clone()) {
            return Ok(Arc::new(a));
        }
        let rows: Vec<String> = (0..bin.len())
            .map(|i| String::from_utf8_lossy(bin.value(i)).into_owned())
            .collect();
        Ok(Arc::new(StringArray::from(rows)))
    }
}

/// Integer argument values as `i64` (`UInt64` above `i64::MAX` saturates; NULL reads as 0).
pub(crate) fn ints(arr: &ArrayRef, func: &str) -> Result<Vec<i64>> {
    match arr.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => {
            let c = cast(arr, &DataType::Int64)?;
            let c = as_primitive_array::<Int64Type>(&c)?;
            Ok(c.values().to_vec())
        }
        DataType::UInt64 => {
            let c = datafusion::common::cast::as_uint64_array(arr)?;
            Ok(c.values()
                .iter()
                .map(|v| i64::try_from(*v).unwrap_or(i64::MAX))
                .collect())
        }
        DataType::Boolean => {
            let c = arr.as_any().downcast_ref::<BooleanArray>();
            match c {
                Some(c) => Ok((0..c.len()).map(|i| c.value(i) as i64).collect()),
                None => ch_bail!(
                    LOGICAL_ERROR,
                    "Boolean column of unexpected layout in {func}"
                ),
            }
        }
        DataType::Null => Ok(vec![0; arr.len()]),
        dt => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {func}",
            sluice_common::ChType::from_arrow(dt, false)
        ),
    }
}
