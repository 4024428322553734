//! UUID, IPv4 and IPv6 in ClickHouse's text form.
//!
//! UUIDs are stored as 16 bytes in the canonical (textual) order; IPv6 as 16 bytes in
//! network order; IPv4 as a `u32` whose most significant byte is the first octet.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `61f0c404-5cb3-11e7-907b-a6006ad3dba0`.
pub fn write_uuid(out: &mut Vec<u8>, b: &[u8]) {
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push(b'-');
        }
        out.push(HEX[(byte >> 4) as usize]);
        out.push(HEX[(byte & 15) as usize]);
    }
}

/// `1.2.3.4`.
pub fn write_ipv4(out: &mut Vec<u8>, v: u32) {
    for (i, octet) in v.to_be_bytes().iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        super::number::write_int(out, *octet);
    }
}

fn write_hex_word(out: &mut Vec<u8>, w: u16) {
    let mut started = false;
    for shift in [12, 8, 4, 0] {
        let d = (w >> shift) & 15;
        if d != 0 || started || shift == 0 {
            out.push(HEX[d as usize]);
            started = true;
        }
    }
}

/// IPv6 as ClickHouse prints it: the longest run of zero words (at least two) becomes
/// `::`; addresses of the form `::a.b.c.d` and `::ffff:a.b.c.d` end in dotted IPv4.
pub fn write_ipv6(out: &mut Vec<u8>, b: &[u8]) {
    if b.len() != 16 {
        return;
    }
    let words: Vec<u16> = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let (mut best_base, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if words[i] == 0 {
            let start = i;
            while i < 8 && words[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_base = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = usize::MAX;
        best_len = 0;
    }
    let ipv4_tail = best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
    let mut i = 0;
    while i < 8 {
        if i == best_base {
            out.extend_from_slice(b"::");
            i += best_len;
            continue;
        }
        if ipv4_tail && i == 6 {
            if i != best_base + best_len {
                out.push(b':');
            }
            write_ipv4(out, u32::from_be_bytes([b[12], b[13], b[14], b[15]]));
            break;
        }
        if i > 0 && i != best_base + best_len {
            out.push(b':');
        }
        write_hex_word(out, words[i]);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn v6(s: &str) -> String {
        let a: Ipv6Addr = s.parse().unwrap();
        let mut o = Vec::new();
        write_ipv6(&mut o, &a.octets());
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn ipv6_like_clickhouse() {
        // ch-oracle -q "SELECT toIPv6('::'), toIPv6('::ffff:0.0.0.0'), toIPv6('1:0:0:1::'),
        //   toIPv6('::2:0:0:0:1'), toIPv6('1:2:3:4:5:6:7:8'), toIPv6('1::ffff:1.2.3.4')"
        // → ::	::ffff:0.0.0.0	1:0:0:1::	::2:0:0:0:1	1:2:3:4:5:6:7:8	1::ffff:102:304
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::ffff:0.0.0.0"), "::ffff:0.0.0.0");
        assert_eq!(v6("1:0:0:1::"), "1:0:0:1::");
        assert_eq!(v6("::2:0:0:0:1"), "::2:0:0:0:1");
        assert_eq!(v6("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
        assert_eq!(v6("1::ffff:1.2.3.4"), "1::ffff:102:304");
        // ch-oracle -q "SELECT toIPv6('::1'), toIPv6('1.2.3.4'), toIPv6('::1.2.3.4'), toIPv6('2001:db8::1')"
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(v6("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(v6("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn uuid_and_ipv4() {
        let mut o = Vec::new();
        write_uuid(
            &mut o,
            &[
                0x61, 0xf0, 0xc4, 0x04, 0x5c, 0xb3, 0x11, 0xe7, 0x90, 0x7b, 0xa6, 0, 0x6a, 0xd3,
                0xdb, 0xa0,
            ],
        );
        assert_eq!(o, b"61f0c404-5cb3-11e7-907b-a6006ad3dba0");
        let mut o = Vec::new();
        write_ipv4(&mut o, 0x01020304);
        assert_eq!(o, b"1.2.3.4");
    }
}
