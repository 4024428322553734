//! Tests of [`Decoder`]'s error handling: the default mode, the error limits
//! (`kafka_skip_broken_messages`, `input_format_allow_errors_num`/`_ratio`) per message and
//! the `stream` / `dead_letter_queue` modes. Expected values come from ClickHouse 26.9
//! (chdb reading a tansu broker, see each test).

use arrow::array::AsArray;
use arrow::datatypes::UInt32Type;
use sluice_common::ErrorCode;

use super::tests::{rows, schema, settings};
use super::*;

fn broken_batch() -> Vec<Message> {
    vec![
        Message::new("t", 1, 0, "{\"id\":1}"),
        Message::new("t", 1, 1, "{\"id\":\"abc\"}"),
        Message::new("t", 1, 2, "{\"id\":3}"),
    ]
}

#[test]
fn default_mode_fails_with_message_position() {
    let mut d = Decoder::try_new(
        &settings("JSONEachRow", &[]),
        schema(&[("id", "UInt32")]),
        &[],
    )
    .unwrap();
    let e = d.decode(&broken_batch()).unwrap_err();
    // The parser's own error (code and text) with ClickHouse's Kafka suffix.
    let parser_error = sluice_formats::input_format(
        "JSONEachRow",
        schema(&[("id", "UInt32")]),
        &sluice_formats::FormatSettings::default(),
    )
    .unwrap()
    .read(b"{\"id\":\"abc\"}")
    .unwrap_err();
    assert_eq!(e.code, parser_error.code);
    assert!(e.message.starts_with(&parser_error.message));
    assert!(
        e.message
            .ends_with(": while parsing Kafka message (topic: t, partition: 1, offset: 1)"),
        "{}",
        e.message
    );
}

/// The messages of the oracle runs below (topics t1..t4, s2, s3 of a tansu broker, one
/// partition).
fn oracle_topic(name: &str) -> Vec<Message> {
    let payloads: &[&str] = match name {
        "t1" => &[
            "{\"a\":1}",
            "bad",
            "{\"a\":2}",
            "bad",
            "{\"a\":3}",
            "{\"a\":4}",
        ],
        "t2" => &[
            "{\"a\":1}",
            "{\"a\":5}\nbad\n{\"a\":6}\n{\"a\":7}",
            "{\"a\":2}",
            "bad\n{\"a\":8}",
            "{\"a\":3}",
        ],
        "t3" => &[
            "{\"a\":1}",
            "{\"a\":5}\nbad\n{\"a\":6}\n{\"a\":7}",
            "{\"a\":2}",
        ],
        "s2" => &["(1)", "x", "(3),(4)", "(5),(y),(6)"],
        "s3" => &["a\n1", "a\nx", "a\n3\n4", "a\n5\ny\n6"],
        _ => &["{\"a\":1}", "{\"a\":5}\nbad\nbad\n{\"a\":7}", "{\"a\":2}"],
    };
    payloads
        .iter()
        .enumerate()
        .map(|(i, p)| Message::new(name, 0, i as i64, *p))
        .collect()
}

/// `(topic, format, column type, settings, rows or the error's offset and note)`.
type OracleCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    Result<&'static [&'static str], (i64, &'static str)>,
);

/// `input_format_allow_errors_num` (default `kafka_skip_broken_messages`) and
/// `input_format_allow_errors_ratio` count per message, as ClickHouse 26.9 does. Expected
/// values: chdb 26.9 reading the same messages from a tansu broker,
/// `CREATE TABLE k (a UInt8) ENGINE = Kafka(broker, topic, group, FORMAT) SETTINGS …;
/// SELECT * FROM k SETTINGS stream_like_engine_allow_direct_select = 1`.
#[test]
fn allow_errors_num_and_ratio_per_message() {
    let cases: &[OracleCase] = &[
        (
            "t1",
            "JSONEachRow",
            "UInt8",
            &[("kafka_skip_broken_messages", "1")],
            Ok(&["1", "2", "3", "4"]),
        ),
        ("t1", "JSONEachRow", "UInt8", &[], Err((1, ""))),
        (
            "t2",
            "JSONEachRow",
            "UInt8",
            &[("input_format_allow_errors_ratio", "0.5")],
            Err((
                3,
                "(Already have 1 errors out of 1 rows, which is 1 of all rows): (at row 1)",
            )),
        ),
        (
            "t3",
            "JSONEachRow",
            "UInt8",
            &[("input_format_allow_errors_ratio", "0.5")],
            Ok(&["1", "5", "6", "7", "2"]),
        ),
        (
            "t3",
            "JSONEachRow",
            "UInt8",
            &[("input_format_allow_errors_ratio", "0.3")],
            Err((
                1,
                "(Already have 1 errors out of 2 rows, which is 0.5 of all rows): (at row 2)",
            )),
        ),
        (
            "t4",
            "JSONEachRow",
            "UInt8",
            &[("input_format_allow_errors_ratio", "0.5")],
            Err((
                1,
                "(Already have 2 errors out of 3 rows, which is 0.6666666666666666 of all rows): (at row 3)",
            )),
        ),
        (
            "t4",
            "JSONEachRow",
            "UInt8",
            &[("input_format_allow_errors_num", "1")],
            Err((
                1,
                "(Already have 2 errors out of 3 rows, which is 0.6666666666666666 of all rows): (at row 3)",
            )),
        ),
        (
            "t4",
            "JSONEachRow",
            "UInt8",
            &[("input_format_allow_errors_num", "2")],
            Ok(&["1", "5", "7", "2"]),
        ),
        (
            "t2",
            "JSONEachRow",
            "UInt8",
            &[("input_format_allow_errors_num", "1")],
            Ok(&["1", "5", "6", "7", "2", "8", "3"]),
        ),
        (
            "t2",
            "JSONEachRow",
            "UInt8",
            &[
                ("kafka_skip_broken_messages", "1"),
                ("input_format_allow_errors_num", "0"),
            ],
            Err((1, "")),
        ),
        (
            "t1",
            "JSONAsString",
            "String",
            &[("kafka_skip_broken_messages", "1")],
            Ok(&["{\"a\":1}", "{\"a\":2}", "{\"a\":3}", "{\"a\":4}"]),
        ),
        (
            "t2",
            "JSONAsString",
            "String",
            &[("kafka_skip_broken_messages", "1")],
            Ok(&[
                "{\"a\":1}",
                "{\"a\":5}",
                "{\"a\":6}",
                "{\"a\":7}",
                "{\"a\":2}",
                "{\"a\":8}",
                "{\"a\":3}",
            ]),
        ),
        (
            "t2",
            "CSV",
            "UInt8",
            &[("input_format_allow_errors_ratio", "0.5")],
            Err((
                0,
                "(Already have 1 errors out of 1 rows, which is 1 of all rows): (at row 1)",
            )),
        ),
        (
            "t2",
            "CSV",
            "UInt8",
            &[("input_format_allow_errors_num", "1")],
            Err((
                1,
                "(Already have 2 errors out of 2 rows, which is 1 of all rows): (at row 2)",
            )),
        ),
        (
            "t2",
            "TSV",
            "UInt8",
            &[("input_format_allow_errors_num", "1")],
            Err((
                1,
                "(Already have 2 errors out of 2 rows, which is 1 of all rows): (at row 2)",
            )),
        ),
        (
            "t2",
            "JSONCompactEachRow",
            "UInt8",
            &[("input_format_allow_errors_num", "1")],
            Err((
                1,
                "(Already have 2 errors out of 2 rows, which is 1 of all rows): (at row 2)",
            )),
        ),
        // A format that cannot skip a row fails whatever the limits.
        (
            "s2",
            "Values",
            "UInt8",
            &[("kafka_skip_broken_messages", "1")],
            Err((1, "")),
        ),
        (
            "s2",
            "Values",
            "UInt8",
            &[("input_format_allow_errors_ratio", "0.5")],
            Err((1, "")),
        ),
        // `WithNames`: every message has its header; the rows after it resynchronise.
        (
            "s3",
            "CSVWithNames",
            "UInt8",
            &[("kafka_skip_broken_messages", "1")],
            Ok(&["1", "3", "4", "5", "6"]),
        ),
        ("s3", "CSVWithNames", "UInt8", &[], Err((1, ""))),
        (
            "s3",
            "CSVWithNames",
            "UInt8",
            &[("input_format_allow_errors_ratio", "0.5")],
            Err((
                1,
                "(Already have 1 errors out of 1 rows, which is 1 of all rows): (at row 1)",
            )),
        ),
    ];
    for (topic, format, ty, extra, expected) in cases {
        let what = format!("{topic} {format} {extra:?}");
        let s = settings(format, extra);
        let mut d = Decoder::try_new(&s, schema(&[("a", ty)]), &[]).unwrap();
        match (d.decode(&oracle_topic(topic)), expected) {
            (Ok(out), Ok(want)) => assert_eq!(rows(&out.batch), *want, "{what}"),
            (Err(e), Err((offset, note))) => {
                let tail = format!(
                    ": while parsing Kafka message (topic: {topic}, partition: 0, offset: {offset})"
                );
                assert!(e.message.ends_with(&tail), "{what}: {}", e.message);
                assert!(e.message.contains(note), "{what}: {}", e.message);
                if note.is_empty() {
                    assert!(!e.message.contains("Already have"), "{what}: {}", e.message);
                }
            }
            (got, _) => panic!("{what}: {:?}", got.map(|o| rows(&o.batch))),
        }
    }
}

/// The messages of topic `s1` in the oracle runs of
/// [`stream_and_dead_letter_modes_apply_the_limits`].
fn oracle_s1() -> Vec<Message> {
    [
        "{\"a\":1}",
        "{\"a\":5}\nbad\n{\"a\":6}\n{\"a\":7}",
        "{\"a\":2}",
        "bad\n{\"a\":8}",
        "{\"a\":3}",
        "bad",
        "{\"a\":300}",
    ]
    .iter()
    .enumerate()
    .map(|(i, p)| Message::new("s1", 0, i as i64, *p))
    .collect()
}

/// `input_format_allow_errors_num`/`_ratio` and `kafka_skip_broken_messages` apply in
/// `stream` and `dead_letter_queue` modes too: a broken row within them is skipped with no
/// `_error` row / dead letter; beyond them the message becomes one. Expected: chdb 26.9
/// reading the same messages from tansu, `CREATE TABLE k (a UInt8) ENGINE = Kafka(…, 's1',
/// …, 'JSONEachRow') SETTINGS kafka_handle_error_mode = …, …; SELECT a, _offset, _error FROM
/// k SETTINGS stream_like_engine_allow_direct_select = 1` (dead_letter_queue: chdb with a
/// `<dead_letter_queue>` config, then `system.dead_letter_queue.kafka_offset`/`error`).
#[test]
fn stream_and_dead_letter_modes_apply_the_limits() {
    // (settings, `a/_offset` rows, the `_error`/dead-letter offsets with the end of the
    // error text: the note before the message's "(at row N)").
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
        &'static [(i64, &'static str)],
    );
    const ONE_OF_ONE: &str =
        "(Already have 1 errors out of 1 rows, which is 1 of all rows): (at row 1)";
    let cases: &[Case] = &[
        (
            &[],
            &["1/0", "2/2", "3/4", "44/6"],
            &[(1, ""), (3, ""), (5, "")],
        ),
        (
            &[("input_format_allow_errors_ratio", "0.5")],
            &["1/0", "5/1", "6/1", "7/1", "2/2", "3/4", "44/6"],
            &[(3, ONE_OF_ONE), (5, ONE_OF_ONE)],
        ),
        (
            &[("input_format_allow_errors_ratio", "0.3")],
            &["1/0", "2/2", "3/4", "44/6"],
            &[
                (
                    1,
                    "(Already have 1 errors out of 2 rows, which is 0.5 of all rows): (at row 2)",
                ),
                (3, ONE_OF_ONE),
                (5, ONE_OF_ONE),
            ],
        ),
        (
            &[("kafka_skip_broken_messages", "1")],
            &["1/0", "5/1", "6/1", "7/1", "2/2", "8/3", "3/4", "44/6"],
            &[],
        ),
        (
            &[("input_format_allow_errors_num", "1")],
            &["1/0", "5/1", "6/1", "7/1", "2/2", "8/3", "3/4", "44/6"],
            &[],
        ),
    ];
    for (extra, want_rows, want_errors) in cases {
        // stream: the good rows and one row of defaults per broken message, in offset order.
        let mut with_mode = extra.to_vec();
        with_mode.push(("kafka_handle_error_mode", "stream"));
        let mut d = Decoder::try_new(
            &settings("JSONEachRow", &with_mode),
            schema(&[("a", "UInt8")]),
            &[VirtualColumn::Offset, VirtualColumn::Error],
        )
        .unwrap();
        let out = d.decode(&oracle_s1()).unwrap();
        let mut good = Vec::new();
        let mut errors = Vec::new();
        for r in rows(&out.batch) {
            let f: Vec<&str> = r.splitn(3, '\t').collect();
            if f[2].is_empty() {
                good.push(format!("{}/{}", f[0], f[1]));
            } else {
                assert_eq!(f[0], "0", "{extra:?}: {r}");
                errors.push((f[1].parse::<i64>().unwrap(), f[2].to_string()));
            }
        }
        assert_eq!(good, *want_rows, "stream {extra:?}");
        assert_eq!(
            errors.len(),
            want_errors.len(),
            "stream {extra:?}: {errors:?}"
        );
        for ((offset, text), (want_offset, tail)) in errors.iter().zip(want_errors.iter()) {
            assert_eq!(offset, want_offset, "stream {extra:?}");
            assert!(text.contains(tail), "stream {extra:?}: {text}");
            assert_eq!(text.contains("Already have"), !tail.is_empty(), "{text}");
        }
        // dead_letter_queue: the good rows; the broken messages as dead letters.
        let mut with_mode = extra.to_vec();
        with_mode.push(("kafka_handle_error_mode", "dead_letter_queue"));
        let mut d = Decoder::try_new(
            &settings("JSONEachRow", &with_mode),
            schema(&[("a", "UInt8")]),
            &[VirtualColumn::Offset],
        )
        .unwrap();
        let out = d.decode(&oracle_s1()).unwrap();
        let got: Vec<String> = rows(&out.batch)
            .iter()
            .map(|r| r.replace('\t', "/"))
            .collect();
        assert_eq!(got, *want_rows, "dead_letter_queue {extra:?}");
        let letters: Vec<i64> = out.dead_letters.iter().map(|l| l.offset).collect();
        let want: Vec<i64> = want_errors.iter().map(|(o, _)| *o).collect();
        assert_eq!(letters, want, "dead_letter_queue {extra:?}");
        for (l, (_, tail)) in out.dead_letters.iter().zip(want_errors.iter()) {
            assert!(
                l.error.contains(tail),
                "dead_letter_queue {extra:?}: {}",
                l.error
            );
        }
    }
}

#[test]
fn stream_mode_turns_errors_into_rows() {
    let s = settings("JSONEachRow", &[("kafka_handle_error_mode", "stream")]);
    let mut d = Decoder::try_new(
        &s,
        schema(&[("id", "UInt32"), ("n", "Nullable(String)")]),
        &[
            VirtualColumn::Offset,
            VirtualColumn::RawMessage,
            VirtualColumn::Error,
        ],
    )
    .unwrap();
    let out = d.decode(&broken_batch()).unwrap().batch;
    assert_eq!(out.num_rows(), 3);
    let r = rows(&out);
    assert_eq!(r[0], "1\tNULL\t0\t\t");
    assert!(
        r[1].starts_with("0\tNULL\t1\t{\"id\":\"abc\"}\t"),
        "{}",
        r[1]
    );
    assert!(r[1].len() > "0\tNULL\t1\t{\"id\":\"abc\"}\t".len());
    assert_eq!(r[2], "3\tNULL\t2\t\t");
    assert_eq!(out.column(0).as_primitive::<UInt32Type>().value(1), 0);
    // _error outside stream mode is refused.
    let e = Decoder::try_new(
        &settings("JSONEachRow", &[]),
        schema(&[("id", "UInt32")]),
        &[VirtualColumn::Error],
    )
    .err()
    .map(|e| e.code);
    assert_eq!(e, Some(ErrorCode::UNKNOWN_IDENTIFIER));
}

#[test]
fn stream_mode_with_fast_path_format() {
    let s = settings("JSONAsString", &[("kafka_handle_error_mode", "stream")]);
    let mut d = Decoder::try_new(&s, schema(&[("j", "String")]), &[VirtualColumn::Error]).unwrap();
    let msgs = vec![
        Message::new("t", 0, 0, "{\"a\":1}"),
        Message::new("t", 0, 1, "[1,2]"),
        Message::new("t", 0, 2, "{\"b\":2}"),
    ];
    let out = d.decode(&msgs).unwrap().batch;
    let r = rows(&out);
    assert_eq!(r.len(), 3);
    assert_eq!(r[0], "{\"a\":1}\t");
    assert!(r[1].starts_with("\t"), "{}", r[1]);
    // Oracle: format(JSONAsString, '[1,2]') → INCORRECT_DATA "JSON object must begin
    // with '{': (at row 1)".
    assert!(
        r[1].contains("JSON object must begin with '{': (at row 1)"),
        "{}",
        r[1]
    );
    assert_eq!(r[2], "{\"b\":2}\t");
}

#[test]
fn dead_letter_queue_mode() {
    let s = settings(
        "JSONEachRow",
        &[("kafka_handle_error_mode", "dead_letter_queue")],
    );
    let mut d = Decoder::try_new(&s, schema(&[("id", "UInt32")]), &[]).unwrap();
    let mut msgs = broken_batch();
    msgs[1].key = Some(b"key".to_vec());
    let out = d.decode(&msgs).unwrap();
    assert_eq!(rows(&out.batch), vec!["1", "3"]);
    assert_eq!(out.dead_letters.len(), 1);
    let dl = &out.dead_letters[0];
    assert_eq!((&*dl.topic, dl.partition, dl.offset), ("t", 1, 1));
    assert_eq!(dl.key, b"key");
    assert_eq!(dl.raw_message, b"{\"id\":\"abc\"}");
    assert!(!dl.error.is_empty());
}
