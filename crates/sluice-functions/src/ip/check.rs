//! `isIPv4String`, `isIPv6String` (1 when the whole text is such an address) and
//! `isIPAddressInRange(address, 'prefix/bits')`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt8Array};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use crate::ch_bail;
use crate::string::col::StrCol;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("isIPv4String", is_type, is_v4).build(),
        ChUdf::new("isIPv6String", is_type, is_v6).build(),
        ChUdf::new("isIPAddressInRange", range_type, in_range).build(),
    ]
}

fn want_strings(a: &TypeArgs, n: usize) -> Result<()> {
    arity(a, n, n)?;
    for t in &a.types {
        if *t != ChType::String {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {t} of argument of function {}",
                a.name
            );
        }
    }
    Ok(())
}

fn is_type(a: &TypeArgs) -> Result<Ret> {
    want_strings(a, 1)?;
    Ok(ChType::UInt8.into())
}

fn range_type(a: &TypeArgs) -> Result<Ret> {
    want_strings(a, 2)?;
    Ok(ChType::UInt8.into())
}

fn flags(a: &Args, f: impl Fn(&str) -> bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let out: UInt8Array = (0..a.rows)
        .map(|i| {
            let ok = std::str::from_utf8(s.get(i)).is_ok_and(&f);
            Some(u8::from(ok))
        })
        .collect();
    Ok(Arc::new(out))
}

fn is_v4(a: &Args) -> Result<ArrayRef> {
    flags(a, |t| t.parse::<Ipv4Addr>().is_ok())
}

fn is_v6(a: &Args) -> Result<ArrayRef> {
    flags(a, |t| t.parse::<Ipv6Addr>().is_ok())
}

fn bad_text(msg: String) -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::CANNOT_PARSE_TEXT,
        msg,
    ))
}

fn parse_addr(b: &[u8]) -> Result<IpAddr> {
    let t = String::from_utf8_lossy(b);
    t.parse::<IpAddr>()
        .map_err(|_| bad_text(format!("Neither IPv4 nor IPv6 address: '{t}'")))
}

/// `prefix/bits` as an address and a bit count within its family's width.
fn parse_cidr(b: &[u8]) -> Result<(IpAddr, u32)> {
    let t = String::from_utf8_lossy(b);
    let Some((addr, bits)) = t.split_once('/') else {
        return Err(bad_text(format!("The text does not contain '/': {t}")));
    };
    let addr = parse_addr(addr.as_bytes())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    match bits.parse::<u32>() {
        Ok(n) if n <= max => Ok((addr, n)),
        _ => Err(bad_text(format!(
            "The CIDR has a malformed prefix bits: {t}"
        ))),
    }
}

/// Whether the first `bits` bits of `a` and `b` agree.
fn prefix_eq(a: &[u8], b: &[u8], bits: u32) -> bool {
    let full = (bits / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = bits % 8;
    rest == 0 || (a[full] ^ b[full]) >> (8 - rest) == 0
}

fn matches(addr: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => prefix_eq(&a.octets(), &n.octets(), bits),
        (IpAddr::V6(a), IpAddr::V6(n)) => prefix_eq(&a.octets(), &n.octets(), bits),
        _ => false,
    }
}

fn in_range(a: &Args) -> Result<ArrayRef> {
    let addrs = StrCol::new(&a.cols[0], a.name)?;
    let nets = StrCol::new(&a.cols[1], a.name)?;
    let mut out = Vec::with_capacity(a.rows);
    let mut cached: Option<(&[u8], (IpAddr, u32))> = None;
    for i in 0..a.rows {
        let net_text = nets.get(i);
        let (net, bits) = match cached {
            Some((t, v)) if t == net_text => v,
            _ => {
                let v = parse_cidr(net_text)?;
                cached = Some((net_text, v));
                v
            }
        };
        let addr = parse_addr(addrs.get(i))?;
        out.push(Some(u8::from(matches(addr, net, bits))));
    }
    Ok(Arc::new(UInt8Array::from(out)))
}
