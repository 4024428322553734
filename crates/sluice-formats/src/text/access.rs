//! Reading single values out of Arrow arrays whatever physical form a ClickHouse type
//! arrived in (`Utf8`/`LargeUtf8`/`Utf8View`/binary strings, dictionary keys of any
//! width, `Null` arrays).

use arrow::array::{AnyDictionaryArray, Array, AsArray};
use arrow::datatypes::{
    DataType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};

/// True when the value at `row` is NULL, including `Null` arrays and dictionary entries
/// whose value is NULL.
pub fn is_null_at(array: &dyn Array, row: usize) -> bool {
    match array.data_type() {
        DataType::Null => true,
        DataType::Dictionary(..) => {
            if array.is_null(row) {
                return true;
            }
            match array.as_any_dictionary_opt() {
                Some(d) => match dict_key(d, row) {
                    Some(k) => k >= d.values().len() || is_null_at(d.values().as_ref(), k),
                    None => true,
                },
                None => false,
            }
        }
        _ => array.is_null(row),
    }
}

/// The dictionary index of `row`, `None` when the key is NULL or negative.
pub fn dict_key(dict: &dyn AnyDictionaryArray, row: usize) -> Option<usize> {
    let keys = dict.keys();
    if keys.is_null(row) {
        return None;
    }
    let k: i64 = match keys.data_type() {
        DataType::Int8 => keys.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => keys.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => keys.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => keys.as_primitive::<Int64Type>().value(row),
        DataType::UInt8 => keys.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => keys.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => keys.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => i64::try_from(keys.as_primitive::<UInt64Type>().value(row)).ok()?,
        _ => return None,
    };
    usize::try_from(k).ok()
}

/// The bytes of a string-like value (any Arrow string or binary type).
pub fn bytes_at(array: &dyn Array, row: usize) -> Option<&[u8]> {
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).as_bytes(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).as_bytes(),
        DataType::Utf8View => array.as_string_view().value(row).as_bytes(),
        DataType::Binary => array.as_binary::<i32>().value(row),
        DataType::LargeBinary => array.as_binary::<i64>().value(row),
        DataType::BinaryView => array.as_binary_view().value(row),
        DataType::FixedSizeBinary(_) => array.as_fixed_size_binary().value(row),
        _ => return None,
    })
}

/// Element range of a list-like value (`List`, `LargeList`, `FixedSizeList`) and the
/// child array.
pub fn list_range(array: &dyn Array, row: usize) -> Option<(std::ops::Range<usize>, &dyn Array)> {
    match array.data_type() {
        DataType::List(_) => {
            let l = array.as_list::<i32>();
            let o = l.value_offsets();
            Some((o[row] as usize..o[row + 1] as usize, l.values().as_ref()))
        }
        DataType::LargeList(_) => {
            let l = array.as_list::<i64>();
            let o = l.value_offsets();
            Some((o[row] as usize..o[row + 1] as usize, l.values().as_ref()))
        }
        DataType::FixedSizeList(_, n) => {
            let l = array.as_fixed_size_list();
            let n = (*n).max(0) as usize;
            Some((row * n..row * n + n, l.values().as_ref()))
        }
        _ => None,
    }
}
