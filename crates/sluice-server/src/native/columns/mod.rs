//! Native column data: Arrow arrays ⇄ ClickHouse's column-wise binary layout.
//!
//! - Encoding is `sluice-formats`' Native column codec
//!   ([`sluice_formats::native::write_column`], the one the `Native` output format uses),
//!   given the column's [`wire_type`]: LowCardinality columns are sent as their inner
//!   type, which every client accepts.
//! - [`decode`]: bytes → arrays, with allocation guarded by the received length and a
//!   distinct "incomplete" outcome, so a packet can be read as its bytes arrive.

pub use sluice_formats::native::decode;

use sluice_common::ChType;

use crate::native::handshake::rev;

/// The type a column is sent as to a client at revision `n`: `LowCardinality(T)` becomes `T`
/// (clients then send `T` back), and below 54337 `DateTime('tz')` loses its time zone.
pub fn wire_type(t: &ChType, n: u64) -> ChType {
    match t {
        ChType::LowCardinality(inner) => wire_type(inner, n),
        ChType::Nullable(inner) => ChType::Nullable(Box::new(wire_type(inner, n))),
        ChType::Array(inner) => ChType::Array(Box::new(wire_type(inner, n))),
        ChType::Map(k, v) => ChType::Map(Box::new(wire_type(k, n)), Box::new(wire_type(v, n))),
        ChType::Tuple(elems) => ChType::Tuple(
            elems
                .iter()
                .map(|(name, et)| (name.clone(), wire_type(et, n)))
                .collect(),
        ),
        ChType::DateTime(Some(_)) if n > 0 && n < rev::TIME_ZONE_PARAMETER_IN_DATETIME => {
            ChType::DateTime(None)
        }
        other => other.clone(),
    }
}
