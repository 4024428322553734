//! The fuzz entry points of `sluice_server::fuzzing` over a deterministic corpus: valid
//! packets, blocks and HTTP request heads, and 21 000 mutations of them (bit flips,
//! truncations, absurd VarUInts, spliced bytes). Runs on stable, so CI exercises the same
//! code the nightly `fuzz/` targets do.
//!
//! A lying length that were honoured would abort the test (capacity overflow or out of
//! memory); the peak resident size of the whole run is checked as well.
//!
//! `SLUICE_FUZZ_SEEDS=DIR cargo test -p sluice-server --test fuzz_corpus` also writes the
//! valid inputs to `DIR/<target>/` as seed corpora for `cargo fuzz run`.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int64Array, ListArray, RecordBatch, StringArray, StructArray, UInt8Array,
};
use arrow::datatypes::{Field, Int64Type, Schema};
use sluice_common::ChType;
use sluice_server::fuzzing::{Outcome, REVISIONS, client_packets, data_block, http_request};
use sluice_server::native::block::encode_block;
use sluice_server::native::compression::{CompressionMethod, encode_frame};
use sluice_server::native::wire::WireWrite;

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn field(t: &str, name: &str) -> Field {
    ChType::parse(t).expect("type").to_field(name)
}

/// Three rows of several column types.
fn batch() -> RecordBatch {
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![]),
        Some(vec![Some(-3)]),
    ]);
    let tuple = StructArray::from(vec![
        (
            Arc::new(field("UInt8", "1")),
            Arc::new(UInt8Array::from(vec![1u8, 2, 3])) as ArrayRef,
        ),
        (
            Arc::new(field("String", "2")),
            Arc::new(StringArray::from(vec!["x", "", "z"])) as ArrayRef,
        ),
    ]);
    let columns: Vec<(Field, ArrayRef)> = vec![
        (
            field("Int64", "i"),
            Arc::new(Int64Array::from(vec![1, -2, i64::MAX])),
        ),
        (
            field("Nullable(String)", "s"),
            Arc::new(StringArray::from(vec![Some("a"), None, Some("tab\t")])),
        ),
        (field("Array(Int64)", "a"), Arc::new(list)),
        (field("Tuple(UInt8, String)", "t"), Arc::new(tuple)),
    ];
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns
        .into_iter()
        .map(|(f, a)| (f.with_data_type(a.data_type().clone()), a))
        .unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch")
}

fn block_bytes(n: u64) -> Vec<u8> {
    let mut v = Vec::new();
    encode_block(&batch(), n, &mut v).expect("encode");
    v
}

fn query_packet(sql: &str) -> Vec<u8> {
    let mut v = Vec::new();
    v.put_varint(1);
    v.put_str(b"qid");
    v.put_u8(1);
    v.put_str(b"");
    v.put_str(b"");
    v.put_str(b"0.0.0.0:0");
    v.put_u64_le(0);
    v.put_u8(1);
    v.put_str(b"me");
    v.put_str(b"host");
    v.put_str(b"fuzz");
    v.put_varint(24);
    v.put_varint(8);
    v.put_varint(54460);
    v.put_str(b"");
    v.put_varint(0);
    v.put_varint(0);
    v.put_u8(0);
    v.put_varint(0);
    v.put_varint(0);
    v.put_varint(0);
    v.put_str(b"max_threads");
    v.put_varint(0);
    v.put_str(b"2");
    v.put_str(b"");
    v.put_str(b"");
    v.put_varint(2);
    v.put_varint(0);
    v.put_str(sql.as_bytes());
    v.put_str(b"x");
    v.put_varint(2);
    v.put_str(b"'it\\'s'");
    v.put_str(b"");
    v
}

/// Selector byte choosing `rev` in [`REVISIONS`].
fn selector_for(rev: u64) -> u8 {
    REVISIONS
        .iter()
        .position(|r| *r == rev)
        .and_then(|i| u8::try_from(i).ok())
        .expect("known revision")
}

fn packet_seeds() -> Vec<Vec<u8>> {
    let rev_sel = selector_for(54460) << 1;
    let mut session = vec![rev_sel];
    session.extend(query_packet("INSERT INTO t VALUES"));
    session.put_varint(2);
    session.put_str(b"");
    session.extend(block_bytes(54460));
    session.put_varint(2);
    session.put_str(b"");
    sluice_server::native::packets::write_empty_block(54460, &mut session);
    session.extend([4, 3, 6]);
    let mut hello = vec![rev_sel | 1];
    hello.put_varint(0);
    hello.put_str(b"fuzz");
    hello.put_varint(24);
    hello.put_varint(8);
    hello.put_varint(54460);
    hello.put_str(b"default");
    hello.put_str(b"default");
    hello.put_str(b"");
    hello.put_str(b""); // addendum
    hello.extend(query_packet("SELECT 1"));
    let old = {
        // Debian's clickhouse-client 18.16 (revision 54412) query.
        let mut v = vec![selector_for(54412) << 1, 1];
        v.extend_from_slice(b"\x00\x01\x00\x00\t0.0.0.0:0\x01\x00\x02vm\x11ClickHouse client\x12\x10\x8c\xa9\x03\x00\x01\x00\x02\x01\x08SELECT 1");
        v
    };
    vec![session, hello, old]
}

fn block_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for rev in [0u64, 54412, 54460] {
        let mut plain = vec![selector_for(rev)];
        plain.extend(block_bytes(rev));
        seeds.push(plain);
        for (method, flag) in [
            (CompressionMethod::Lz4, 0x10u8),
            (CompressionMethod::Zstd, 0x30),
            (CompressionMethod::None, 0x10),
        ] {
            let mut framed = vec![selector_for(rev) | flag];
            let bytes = block_bytes(rev);
            // Two frames: a frame boundary is not a block boundary.
            let (a, b) = bytes.split_at(bytes.len() / 2);
            encode_frame(method, a, &mut framed);
            encode_frame(method, b, &mut framed);
            seeds.push(framed);
        }
    }
    seeds
}

fn http_seeds() -> Vec<Vec<u8>> {
    [
        "query=SELECT%20%7Bx%3AUInt8%7D&param_x=5&max_threads=2&database=db&default_format=JSON\n\
         content-length: 0",
        "session_id=s1&session_timeout=30&session_check=1&compress=1&decompress=1&buffer_size=10\n\
         Content-Encoding: gzip\nAccept-Encoding: zstd, gzip;q=0.5\ntransfer-encoding: chunked",
        "user=u&password=p&query_id=q&wait_end_of_query=1&client_protocol_version=54405\n\
         Content-Length: 12\nX-ClickHouse-Format: TSV",
        "query=SELECT+1\nAuthorization: Basic ZGVmYXVsdDo=\ncontent-length: 1",
        "query=SELECT%201\nX-ClickHouse-User: alice\nX-ClickHouse-Key: secret\ncontent-length: 3",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// One mutation of `seed`.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let at = rng.below(v.len() + 1);
        match rng.below(8) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] = [0x00, 0x01, 0x7F, 0x80, 0xFF, b'(', b'%', b'&'][rng.below(8)];
            }
            2 => v.truncate(at),
            3 => {
                // An absurd VarUInt (2^60, 2^63, u64::MAX, 11 bytes long).
                let mut big = Vec::new();
                match rng.below(4) {
                    0 => big.put_varint(1 << 60),
                    1 => big.put_varint(1 << 63),
                    2 => big.put_varint(u64::MAX),
                    _ => big.extend_from_slice(&[0xFF; 11]),
                }
                v.splice(at..at, big);
            }
            4 => {
                let n = rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(at..at, bytes);
            }
            5 if !v.is_empty() => {
                // Duplicate a slice somewhere else.
                let start = at.min(v.len() - 1);
                let end = (start + 1 + rng.below(32)).min(v.len());
                let chunk = v[start..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, chunk);
            }
            6 if v.len() > 1 => {
                let start = at.min(v.len() - 1);
                let end = (start + 1 + rng.below(8)).min(v.len());
                v.drain(start..end);
            }
            _ => {
                // Flip the selector byte: other revisions, compression, checksums.
                if let Some(b) = v.first_mut() {
                    *b = rng.next() as u8;
                }
            }
        }
    }
    v
}

#[derive(Default, Debug)]
struct Tally {
    decoded: usize,
    incomplete: usize,
    rejected: usize,
}

/// Runs `f` on `input` and counts the outcome.
fn run(f: fn(&[u8]) -> Outcome, input: &[u8], tally: &mut Tally) {
    match f(input) {
        Outcome::Decoded(_) => tally.decoded += 1,
        Outcome::Incomplete(_) => tally.incomplete += 1,
        Outcome::Rejected(_) => tally.rejected += 1,
    }
}

/// Peak resident set size of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn fuzz_entry_points_over_a_deterministic_corpus() {
    type Target = (&'static str, fn(&[u8]) -> Outcome, Vec<Vec<u8>>);
    let targets: Vec<Target> = vec![
        ("client_packets", client_packets, packet_seeds()),
        ("data_block", data_block, block_seeds()),
        ("http_request", http_request, http_seeds()),
    ];
    if let Ok(dir) = std::env::var("SLUICE_FUZZ_SEEDS") {
        for (name, _, seeds) in &targets {
            let d = std::path::Path::new(&dir).join(name);
            std::fs::create_dir_all(&d).expect("seed dir");
            for (i, s) in seeds.iter().enumerate() {
                std::fs::write(d.join(format!("seed-{i}")), s).expect("write seed");
            }
        }
    }
    let mut rng = Rng(0x5EED_CAFE_F00D_D00D);
    for (name, f, seeds) in &targets {
        // Every seed is valid and decodes completely.
        for (i, seed) in seeds.iter().enumerate() {
            assert!(
                matches!(f(seed), Outcome::Decoded(_)),
                "{name}: seed {i} does not decode: {:?}",
                f(seed)
            );
        }
        let mut tally = Tally::default();
        for i in 0..7000 {
            let input = mutate(&seeds[i % seeds.len()], &mut rng);
            run(*f, &input, &mut tally);
        }
        // The corpus reaches every outcome (the http target never sees a partial input).
        assert!(tally.decoded > 0 && tally.rejected > 0, "{name}: {tally:?}");
        if *name != "http_request" {
            assert!(tally.incomplete > 0, "{name}: {tally:?}");
        }
    }
    // Inputs are at most a few KiB: nothing may have grown the process anywhere near 1 GiB.
    if let Some(kib) = peak_rss_kib() {
        assert!(kib < 1 << 20, "peak RSS {kib} KiB");
    }
}
