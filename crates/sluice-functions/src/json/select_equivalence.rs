//! Equivalence of the selective parse (`select.rs` over `tape.rs`, what the fused pass
//! reads) with the full tape parse: the same verdict, and for a valid document the values
//! the full tape holds at every path (spans, keys, double flags), on random documents of
//! the whole grammar, byte-level mutations of them and of Debezium events, and the literals
//! of the JSON sql-tests.

use super::doc::{Doc, StepRef};
use super::select::{NOT_FOUND, PathHits, PathSet, Shape, parse_selected};
use super::tape::{Node, parse};

fn seed_paths() -> PathSet {
    let mut p = PathSet::new();
    p.add(&[b"op"], &[1]);
    p.add(&[b"after", b"id"], &[1, 1]);
    p.add(&[b"after", b"d"], &[1, 1]);
    p
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// A random document of JSON's whole grammar (and some near misses in the leaves).
fn value(r: &mut Rng, depth: usize, out: &mut String) {
    let ws = ["", "", "", " ", "\n", "\t ", "\r\n  "];
    match r.below(if depth > 4 { 4 } else { 7 }) {
        0 => out.push_str(r.pick(&[
            "0",
            "-0",
            "12",
            "-7",
            "1.5",
            "-0.25e-3",
            "1E+5",
            "1e400",
            "-1e400",
            "1e-400",
            "123456789012345678901234567890",
            "18446744073709551616",
            "1.",
            "01",
            "-",
            "2e",
            "0.1e1",
        ])),
        1 => out.push_str(r.pick(&["true", "false", "null", "tru", "nulll"])),
        2 => {
            out.push('"');
            for _ in 0..r.below(12) {
                out.push_str(r.pick(&[
                    "a",
                    "id",
                    " ",
                    "{",
                    "}",
                    ":",
                    ",",
                    "[",
                    "\\\"",
                    "\\\\",
                    "\\n",
                    "\\u00e9",
                    "\\ud83d\\ude00",
                    "\\ud83d",
                    "\\udc00",
                    "\\x",
                    "é",
                    "\\u12",
                    "\\/",
                ]));
            }
            out.push('"');
        }
        3 => out.push_str(r.pick(&["{}", "[]", "\"\"", "\"op\""])),
        4 | 5 => {
            out.push('{');
            for i in 0..r.below(5) {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(r.pick(&ws));
                out.push_str(r.pick(&["\"a\"", "\"op\"", "\"after\"", "\"id\"", "\"\\u006fp\""]));
                out.push_str(r.pick(&ws));
                out.push(':');
                out.push_str(r.pick(&ws));
                value(r, depth + 1, out);
                out.push_str(r.pick(&ws));
            }
            out.push('}');
        }
        _ => {
            out.push('[');
            for i in 0..r.below(5) {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(r.pick(&ws));
                value(r, depth + 1, out);
                out.push_str(r.pick(&ws));
            }
            out.push(']');
        }
    }
}

/// Mutations of a document: a byte removed, replaced or inserted, or a cut.
fn mutate(r: &mut Rng, doc: &[u8]) -> Vec<u8> {
    let special = b"{}[]:,\" \t\n\r\\\x0c\x1a\x01\x00a1-.eEtfnu0";
    let mut d = doc.to_vec();
    if d.is_empty() {
        return d;
    }
    let i = r.below(d.len());
    match r.below(4) {
        0 => {
            d.remove(i);
        }
        1 => d[i] = special[r.below(special.len())],
        2 => d.insert(i, special[r.below(special.len())]),
        _ => d.truncate(i),
    }
    d
}

/// The selective parse gives the full parse's verdict and, for a valid document, the
/// values the full tape holds at every path of `paths` (spans, keys, double flags). It is
/// run with `shape`, which the caller keeps across documents (so its predictions, learned
/// from the documents before, are tried on this one), and with a new shape (nothing
/// predicted): both give the same verdict, nodes and path hits.
fn same_as_full(doc: &[u8], paths: &PathSet, shape: &mut Shape, keys: &[&[&[u8]]]) {
    let (mut full, mut sel) = (Vec::new(), Vec::new());
    let mut found = PathHits::new();
    let want = parse(doc, &mut full);
    let got = parse_selected(doc, paths, shape, &mut sel, &mut found);
    let text = || String::from_utf8_lossy(doc).into_owned();
    assert_eq!(got, want, "{:?}", text());
    let (mut fresh, mut fresh_found) = (Vec::new(), PathHits::new());
    let unshaped = parse_selected(doc, paths, &mut Shape::new(), &mut fresh, &mut fresh_found);
    assert_eq!(unshaped, want, "{:?}", text());
    if want.is_ok() {
        assert_eq!(sel, fresh, "{:?}", text());
        assert_eq!(found, fresh_found, "{:?}", text());
    }
    if want.is_err() {
        return;
    }
    let full = Doc {
        bytes: doc,
        nodes: &full,
    };
    for k in keys {
        let steps: Vec<_> = k.iter().map(|s| StepRef::Key(s)).collect();
        let want = full.find(&steps, false).map(|i| *full.node(i));
        let c = paths.node_of(k).unwrap_or(usize::MAX);
        let got = found
            .get(c)
            .copied()
            .filter(|&i| i != NOT_FOUND)
            .and_then(|i| sel.get(i as usize).copied());
        let span = |n: Option<Node>| n.map(|n| (n.key_span(), n.start(), n.end(), n.flag()));
        assert_eq!(span(got), span(want), "{:?} {k:?}", text());
        if let (Some(g), Some(w)) = (got, want) {
            assert_eq!(g.has_double(), w.has_double(), "{:?}", text());
        }
    }
}

/// Random documents of the whole grammar and mutations of them (a byte removed,
/// replaced or inserted, or a cut): same verdicts and values as the full parse.
#[test]
fn selective_parse_equals_full_parse_on_random_and_mutated_documents() {
    let mut paths = PathSet::new();
    paths.add(&[b"op"], &[1]);
    paths.add(&[b"after", b"id"], &[1, 1]);
    paths.add(&[b"after", b"a"], &[2]);
    let keys: [&[&[u8]]; 4] = [&[b"op"], &[b"after"], &[b"after", b"id"], &[b"after", b"a"]];
    let mut r = Rng(2026);
    let mut valid = 0usize;
    let mut shape = Shape::new();
    for _ in 0..20_000 {
        let mut doc = String::new();
        if r.below(8) == 0 {
            doc.push('\u{FEFF}');
        }
        value(&mut r, 0, &mut doc);
        if r.below(8) == 0 {
            doc.push_str(r.pick(&[" ", "\n", " x", "}", "\0"]));
        }
        let mut v = Vec::new();
        valid += usize::from(parse(doc.as_bytes(), &mut v).is_ok());
        same_as_full(doc.as_bytes(), &paths, &mut shape, &keys);
        for _ in 0..4 {
            let m = mutate(&mut r, doc.as_bytes());
            same_as_full(&m, &paths, &mut shape, &keys);
        }
    }
    // The generator makes both kinds.
    assert!(valid > 2_000 && valid < 18_000, "{valid}");
}

/// Every quoted literal of the JSON sql-tests, as a document.
#[test]
fn selective_parse_equals_full_parse_on_sql_test_documents() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sql-tests/functions");
    let paths = seed_paths();
    let keys: [&[&[u8]]; 4] = [&[b"op"], &[b"after"], &[b"after", b"id"], &[b"after", b"d"]];
    let mut n = 0usize;
    let mut shape = Shape::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("no {dir}");
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("json") || !name.ends_with(".slt") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        for lit in text.split('\'').skip(1).step_by(2) {
            // SQL escapes: \\ and \' (the split already broke at the latter; fine).
            let doc = lit.replace("\\\\", "\\");
            same_as_full(doc.as_bytes(), &paths, &mut shape, &keys);
            n += 1;
        }
    }
    assert!(n > 100, "{n}");
}

/// One Debezium change event, shaped as the seed guide's (compact JSON).
fn debezium_event(r: &mut Rng, i: usize) -> String {
    let op = r.pick(&["c", "u", "r", "d"]);
    let after = format!(
        r#"{{"id":{},"order_date":"2025-09-{:02}","purchaser":{},"quantity":{},"product_id":{},"created_at":"2025-09-01T10:{:02}:00Z"}}"#,
        10_000 + i,
        1 + r.below(28),
        1000 + r.below(100),
        1 + r.below(20),
        100 + r.below(50),
        r.below(60)
    );
    let (before, after) = match op {
        "c" | "r" => ("null".to_string(), after),
        "u" => (after.clone(), after),
        _ => (after, "null".to_string()),
    };
    format!(
        r#"{{"before":{before},"after":{after},"source":{{"version":"2.6.0.Final","connector":"postgresql","ts_ms":{},"snapshot":"false","db":"inventory","txId":{},"lsn":{}}},"op":"{op}","ts_ms":{}}}"#,
        1_725_356_200_000u64 + i as u64 * 37,
        493 + i,
        24_023_928 + i * 64,
        1_725_356_200_454u64 + i as u64 * 37
    )
}

/// One targeted mutation of an event: a cut, a quote flipped or added, a control byte,
/// an escape (valid or not), a bad or unusual number, deep nesting, a duplicate key,
/// non-ASCII text or whitespace, at a random place.
fn mutate_event(r: &mut Rng, doc: &[u8]) -> Vec<u8> {
    let mut d = doc.to_vec();
    if d.is_empty() {
        return d;
    }
    let i = r.below(d.len());
    let insert = |d: &mut Vec<u8>, at: usize, what: &[u8]| {
        d.splice(at..at, what.iter().copied());
    };
    match r.below(10) {
        0 => d.truncate(i),
        1 => {
            if let Some(q) = (i..d.len()).find(|&j| d[j] == b'"') {
                d[q] = [b'x', b'\'', b' ', b'}', b':'][r.below(5)];
            } else {
                insert(&mut d, i, b"\"");
            }
        }
        2 => insert(
            &mut d,
            i,
            &[[0x01u8, 0x1f, b'\t', b'\n', 0x00, 0x7f][r.below(6)]],
        ),
        3 => {
            let esc = r.pick(&[
                "\\x",
                "\\u12",
                "\\ud83d",
                "\\udc00",
                "\\ud83d\\ude00",
                "\\n",
                "\\\"",
                "\\\\",
                "\\/",
                "\\u00e9",
                "\\",
            ]);
            insert(&mut d, i, esc.as_bytes());
        }
        4 => {
            // A number token replaced.
            if let Some(s) = (i..d.len()).find(|&j| d[j].is_ascii_digit()) {
                let e = (s..d.len())
                    .find(|&j| !d[j].is_ascii_digit())
                    .unwrap_or(d.len());
                let n = r.pick(&[
                    "01",
                    "1.",
                    "-",
                    "1e",
                    "1e400",
                    "-1e400",
                    "-0",
                    "1.5e3",
                    "0.1e-5",
                    "+1",
                    "18446744073709551616",
                    "1.7976931348623159e308",
                    "2.5",
                    "1E+2",
                    ".5",
                    "1x",
                ]);
                d.splice(s..e, n.bytes());
            }
        }
        5 => {
            // Deep nesting around the limit (depth 3 inside `before`).
            let n = 1015 + r.below(15);
            let open = if r.below(2) == 0 { "[" } else { "{\"a\":" };
            let close = if open == "[" { "]" } else { "}" };
            let inner = r.pick(&["", "1", "{}", "[]", "\"s\""]);
            let v = format!("{}{}{}", open.repeat(n), inner, close.repeat(n));
            let at = b"{\"before\":".len();
            if d.starts_with(b"{\"before\":") {
                let end = (at..d.len()).find(|&j| d[j] == b',').unwrap_or(d.len());
                d.splice(at..end, v.bytes());
            }
        }
        6 => {
            let dup = r.pick(&[
                r#""op":"x","#,
                r#""after":{"id":7,"order_date":1.5},"#,
                r#""after":null,"#,
                r#""after":"{\"id\":3}","#,
                r#""op":["c"],"#,
                r#""id":1,"#,
            ]);
            let at = if r.below(2) == 0 {
                1
            } else {
                d.iter().rposition(|&c| c == b',').map_or(1, |p| p + 1)
            };
            let at = at.min(d.len());
            insert(&mut d, at, dup.as_bytes());
        }
        7 => {
            let u = r.pick(&["é", "日本", "😀", "\u{FEFF}", "\u{2028}", "ÿ"]);
            insert(&mut d, i, u.as_bytes());
        }
        8 => {
            let ws = r.pick(&[" ", "\n", "\t", "\r\n  ", "\x0c", "\u{a0}"]);
            // Mostly around a structural byte.
            let at = (i..d.len())
                .find(|&j| matches!(d[j], b'{' | b'}' | b'[' | b']' | b':' | b',' | b'"'))
                .map_or(i, |j| j + r.below(2));
            insert(&mut d, at, ws.as_bytes());
        }
        _ => {
            let special = b"{}[]:,\" \t\n\\\x0c\x1a\x01\x00a1-.eEtfnu0\xff";
            d[i] = special[r.below(special.len())];
        }
    }
    d
}

/// The selective parse equals the full one on Debezium events and one to three targeted
/// mutations of each, with the seed view's paths as nested and as flat calls. Run on a
/// large stack (deep nesting in unoptimized test builds).
#[test]
fn selective_parse_equals_full_parse_on_mutated_debezium_events() {
    on_large_stack(debezium_cases);
}

/// Runs `f` on a thread with a 256 MiB stack (deep nesting in unoptimized test builds) and
/// asserts it returned.
fn on_large_stack(f: fn()) {
    let t = std::thread::Builder::new().stack_size(256 << 20).spawn(f);
    assert!(t.is_ok_and(|h| h.join().is_ok()));
}

fn debezium_cases() {
    let fields: [&[u8]; 5] = [
        b"id",
        b"order_date",
        b"purchaser",
        b"quantity",
        b"product_id",
    ];
    let mut nested = PathSet::new();
    let mut flat = PathSet::new();
    nested.add(&[b"op"], &[1]);
    flat.add(&[b"op"], &[1]);
    flat.add(&[b"source", b"ts_ms"], &[2]);
    for f in fields {
        nested.add(&[b"after", f], &[1, 1]);
        flat.add(&[b"after", f], &[2]);
    }
    let mut keys: Vec<Vec<&[u8]>> = vec![vec![b"op"], vec![b"after"]];
    keys.extend(fields.iter().map(|f| vec![&b"after"[..], f]));
    let keys: Vec<&[&[u8]]> = keys.iter().map(Vec::as_slice).collect();
    let mut flat_keys = keys.clone();
    flat_keys.push(&[b"source", b"ts_ms"]);
    let mut r = Rng(42);
    let (mut valid, mut total) = (0usize, 0usize);
    // Each event is parsed first, then its mutations: the shapes predict the event's members
    // on the mutated documents.
    let (mut nested_shape, mut flat_shape) = (Shape::new(), Shape::new());
    for i in 0..6_000 {
        let ev = debezium_event(&mut r, i);
        let mut docs = vec![ev.clone().into_bytes()];
        for _ in 0..4 {
            let mut m = ev.clone().into_bytes();
            for _ in 0..1 + r.below(3) {
                m = mutate_event(&mut r, &m);
            }
            docs.push(m);
        }
        for d in docs {
            let mut v = Vec::new();
            valid += usize::from(parse(&d, &mut v).is_ok());
            same_as_full(&d, &nested, &mut nested_shape, &keys);
            same_as_full(&d, &flat, &mut flat_shape, &flat_keys);
            total += 1;
        }
    }
    // Both verdicts occur often.
    assert!(
        valid > total / 4 && valid < total * 9 / 10,
        "{valid} of {total}"
    );
}

/// Shape predictions learned from a document, tried on every small edit of it: each byte
/// removed, each byte replaced by one of a few bytes that change the grammar, each cut, and
/// whitespace inserted; the verdict, the nodes and the path hits are the full parse's and
/// the unpredicted parse's (`same_as_full`). Also documents nested at the depth limit,
/// parsed twice with one shape.
#[test]
fn shape_predictions_never_change_results() {
    on_large_stack(shape_cases);
}

fn shape_cases() {
    // The seed view's nested calls (`after` recorded whole) and flat calls (only `id` and
    // `d` of `after` recorded).
    let mut flat = PathSet::new();
    flat.add(&[b"op"], &[1]);
    flat.add(&[b"after", b"id"], &[2]);
    flat.add(&[b"after", b"d"], &[2]);
    for paths in [seed_paths(), flat] {
        shape_cases_with(&paths);
    }
}

fn shape_cases_with(paths: &PathSet) {
    let keys: [&[&[u8]]; 5] = [
        &[],
        &[b"op"],
        &[b"after"],
        &[b"after", b"id"],
        &[b"after", b"d"],
    ];
    let docs = [
        r#"{"before":null,"after":{"id":7,"d":"2025-09-01","e":"x"},"source":{"version":"2.6.0.Final","db":"inventory","on":true,"off":false,"no":null,"ts_ms":17,"n":{"a":"b","c":[1,"2",-0.5e3]}},"op":"c","ts_ms":1}"#,
        r#"{"source":{"a":1,"b":[2,{"c":3}],"d":-4},"op":"c","source":{"a":1.5}}"#,
        r#"{"s":{"a":"","b":"\"","c":"\u0041","d":"12345678901234567890123456","e":"1234567890123456789012345"},"op":"u"}"#,
        r#"{"before":{"id":1,"d":"x","db":"inventory","ok":true},"after":null,"op":"d"}"#,
        r#"{"after":{"id":1, "d" : "x\"y","\u0069d":2,"id":3,"n":null,"t":true,"f":-1.5e3},"op":"c"}"#,
        r#"{"after":{},"op":"c","after":{"id":[1],"d":{"x":1}}}"#,
        // Planned members (`plan.rs`): objects on a path with nested values, a duplicate
        // key, arrays, and a key too long to be planned.
        r#"{"before":{"id":1,"d":"x"},"after":{"id":7,"d":"2025-09-01","n":{"a":[1,2.5]}},"source":{"v":"1"},"op":"u","ts_ms":17}"#,
        r#"{"op":"c","after":{"d":"a","id":1,"e":[{"id":2}]},"op":"d","x":[],"after":null}"#,
        r#"{"after":{"id":1,"a_very_long_key":2,"d":"x"},"op":"c","another_long_key":{"a":1}}"#,
    ];
    let edits: &[u8] = b"\"\\\x01x }],:1{";
    for doc in docs {
        let b = doc.as_bytes();
        let mut trained = Shape::new();
        same_as_full(b, paths, &mut trained, &keys);
        same_as_full(b, paths, &mut trained, &keys);
        if doc.starts_with(r#"{"before""#) {
            // The root's members are planned (so the edits below are tried against a plan).
            assert!(trained.planned() >= 1, "{doc}");
        }
        // The other documents (other members, orders and counts) with this one's shape.
        for other in docs {
            let mut shape = trained.clone();
            same_as_full(other.as_bytes(), paths, &mut shape, &keys);
            same_as_full(b, paths, &mut shape, &keys);
        }
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for i in 0..=b.len() {
            variants.push(b[..i].to_vec());
            let mut ws = b.to_vec();
            ws.insert(i, b' ');
            variants.push(ws);
            if i < b.len() {
                let mut del = b.to_vec();
                del.remove(i);
                variants.push(del);
                for &c in edits {
                    let mut rep = b.to_vec();
                    rep[i] = c;
                    variants.push(rep);
                }
            }
        }
        // Objects whose strings changed twice in a row: their templates leave out every
        // value.
        let mut trained_values = trained.clone();
        for alt in ["inventorz", "inventorq"] {
            let d = doc.replace("inventory", alt);
            same_as_full(d.as_bytes(), paths, &mut trained_values, &keys);
        }
        same_as_full(b, paths, &mut trained_values, &keys);
        same_as_full(b, paths, &mut trained_values, &keys);
        for v in variants {
            for t in [&trained, &trained_values] {
                let mut shape = t.clone();
                same_as_full(&v, paths, &mut shape, &keys);
                // Learned from the variant, tried on the original.
                same_as_full(b, paths, &mut shape, &keys);
            }
        }
    }
    // Objects nested up to the depth limit inside an unread member and inside `after`,
    // with a string, a literal and a number at the deepest level.
    for n in [1020usize, 1021, 1022, 1023, 1024] {
        for leaf in [r#""x""#, "null", "1"] {
            for outer in ["before", "after"] {
                let d = format!(
                    "{{\"{outer}\":{}{leaf}{},\"op\":\"c\"}}",
                    "{\"a\":".repeat(n),
                    "}".repeat(n)
                );
                let mut shape = Shape::new();
                same_as_full(d.as_bytes(), paths, &mut shape, &keys);
                same_as_full(d.as_bytes(), paths, &mut shape, &keys);
            }
        }
    }
}
