//! ClickHouse's IP address functions. `IPv4` is stored as `UInt32` (first octet in the
//! most significant byte), `IPv6` as 16 bytes in network order (see `sluice_common::types`).
//!
//! Module map:
//! - [`convert`] — IPv4NumToString(ClassC), IPv4StringToNum[OrDefault|OrNull],
//!   IPv6NumToString, IPv6StringToNum[OrDefault|OrNull], IPv4ToIPv6.
//! - [`check`] — isIPv4String, isIPv6String, isIPAddressInRange.

pub(crate) mod check;
pub(crate) mod convert;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(convert::functions());
    v.extend(check::functions());
    v
}
