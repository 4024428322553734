//! Numbers in ClickHouse's text form: shortest round-trip floats laid out the way
//! ClickHouse prints them (`1e21`, `1e-7`, `0.00001`, `inf`, `nan`), integers and decimals.

use arrow::datatypes::i256;

/// Writes an `f64` exactly as ClickHouse prints a `Float64`.
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
    } else {
        let mut buf = ryu::Buffer::new();
        layout_shortest(out, buf.format_finite(v));
    }
}

/// Writes an `f32` exactly as ClickHouse prints a `Float32` (shortest digits that
/// round-trip in single precision).
pub fn write_f32(out: &mut Vec<u8>, v: f32) {
    if v.is_nan() {
        out.extend_from_slice(b"nan");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"inf" } else { b"-inf" });
    } else {
        let mut buf = ryu::Buffer::new();
        layout_shortest(out, buf.format_finite(v));
    }
}

/// Re-lays a shortest-digits rendering (`ryu` output such as `1.5e-10`, `100.0`, `1e16`)
/// with ClickHouse's rule: plain decimal notation while the decimal point position `n`
/// satisfies `-6 < n <= 21`, otherwise `d[.ddd]e±x` without a `+` sign.
fn layout_shortest(out: &mut Vec<u8>, s: &str) {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mant, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    let mut digits: Vec<u8> = ip.bytes().chain(fp.bytes()).collect();
    let mut n = ip.len() as i32 + exp;
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..lead);
    n -= lead as i32;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if neg {
        out.push(b'-');
    }
    if digits.is_empty() {
        out.push(b'0');
        return;
    }
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(n - 1).as_bytes());
    }
}

/// Writes any integer with `itoa`.
pub fn write_int<I: itoa::Integer>(out: &mut Vec<u8>, v: I) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// Writes a decimal given as the sign and the decimal digits of its unscaled absolute
/// value, inserting the point `scale` digits from the right. Without `trailing_zeros`
/// the fraction loses its trailing zeros (and the point when nothing is left), as
/// ClickHouse does by default (`output_format_decimal_trailing_zeros = 0`).
fn write_decimal_digits(
    out: &mut Vec<u8>,
    neg: bool,
    digits: &str,
    scale: usize,
    trailing_zeros: bool,
) {
    let digits = digits.as_bytes();
    let (int_part, frac): (&[u8], Vec<u8>) = if digits.len() > scale {
        (
            &digits[..digits.len() - scale],
            digits[digits.len() - scale..].to_vec(),
        )
    } else {
        let mut f = vec![b'0'; scale - digits.len()];
        f.extend_from_slice(digits);
        (b"0", f)
    };
    let mut frac = frac;
    if !trailing_zeros {
        while frac.last() == Some(&b'0') {
            frac.pop();
        }
    }
    let is_zero = int_part == b"0" && frac.iter().all(|&d| d == b'0');
    if neg && !is_zero {
        out.push(b'-');
    }
    out.extend_from_slice(int_part);
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(&frac);
    }
}

/// Writes a `Decimal128` value with `scale`.
pub fn write_decimal128(out: &mut Vec<u8>, v: i128, scale: i8, trailing_zeros: bool) {
    let mut b = itoa::Buffer::new();
    let digits = b.format(v.unsigned_abs());
    write_decimal_digits(out, v < 0, digits, scale.max(0) as usize, trailing_zeros);
}

/// Writes a `Decimal256` value with `scale` (also `Int128`/`Int256`/`UInt128`/`UInt256`
/// stored with scale 0).
pub fn write_decimal256(out: &mut Vec<u8>, v: i256, scale: i8, trailing_zeros: bool) {
    let neg = v < i256::ZERO;
    let s = v.to_string();
    let digits = s.strip_prefix('-').unwrap_or(&s);
    write_decimal_digits(out, neg, digits, scale.max(0) as usize, trailing_zeros);
}

#[cfg(test)]
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;

    fn f64s(v: f64) -> String {
        let mut o = Vec::new();
        write_f64(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn floats_like_clickhouse() {
        // ch-oracle -q "SELECT 1e20, 1e21, 0.1+0.2, 1e-7, toFloat32(0.1), 1e15, 1e16,
        //   123456789012345678., 1/0, -1/0, 0/0, 1e-5, 0.0001, 1e300, 5e-324,
        //   toFloat32(1e20), toFloat32(3.4e38), -0., 100., 1.5e-10"
        let expected = "100000000000000000000\t1e21\t0.30000000000000004\t1e-7\t0.1\t1000000000000000\t10000000000000000\t123456789012345680\tinf\t-inf\tnan\t0.00001\t0.0001\t1e300\t5e-324\t100000000000000000000\t3.4e38\t-0\t100\t1.5e-10";
        let mut o = Vec::new();
        let vals64 = [1e20, 1e21, 0.1 + 0.2, 1e-7];
        for v in vals64 {
            write_f64(&mut o, v);
            o.push(b'\t');
        }
        write_f32(&mut o, 0.1f32);
        o.push(b'\t');
        for v in [
            1e15,
            1e16,
            123456789012345678.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e-5,
            0.0001,
            1e300,
            5e-324,
        ] {
            write_f64(&mut o, v);
            o.push(b'\t');
        }
        write_f32(&mut o, 1e20f32);
        o.push(b'\t');
        write_f32(&mut o, 3.4e38f32);
        o.push(b'\t');
        for v in [-0.0, 100.0] {
            write_f64(&mut o, v);
            o.push(b'\t');
        }
        write_f64(&mut o, 1.5e-10);
        assert_eq!(String::from_utf8(o).unwrap(), expected);
        // ch-oracle -q "SELECT toFloat32(3.14159), toFloat32(16777217), 1.7976931348623157e308, 123456.789e-15"
        let mut o = Vec::new();
        write_f32(&mut o, 3.14159f32);
        o.push(b'\t');
        write_f32(&mut o, 16777217.0f32);
        assert_eq!(String::from_utf8(o).unwrap(), "3.14159\t16777216");
        assert_eq!(f64s(1.7976931348623157e308), "1.7976931348623157e308");
        assert_eq!(f64s(123456.789e-15), "1.23456789e-10");
    }

    #[test]
    fn decimals_like_clickhouse() {
        // ch-oracle -q "SELECT toDecimal32(1.50, 2), toDecimal64(-0.05,4), toDecimal32(3,2), toDecimal128(0,5)"
        // → 1.5	-0.05	3	0
        let mut o = Vec::new();
        for (v, s) in [(150i128, 2i8), (-500, 4), (300, 2), (0, 5)] {
            write_decimal128(&mut o, v, s, false);
            o.push(b'\t');
        }
        assert_eq!(String::from_utf8(o).unwrap(), "1.5\t-0.05\t3\t0\t");
        let mut o = Vec::new();
        write_decimal128(&mut o, -5, 2, true);
        write_decimal256(&mut o, i256::from_i128(-12345), 0, false);
        assert_eq!(String::from_utf8(o).unwrap(), "-0.05-12345");
    }
}
