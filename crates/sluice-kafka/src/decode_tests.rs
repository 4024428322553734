//! Tests of [`Decoder`]. Parsed values were checked with ClickHouse 26.9 (the oracle):
//! `SELECT * FROM format(FMT, 'structure', 'payload') SETTINGS
//! input_format_skip_unknown_fields=1, date_time_input_format='best_effort',
//! input_format_csv_detect_header=0, input_format_tsv_detect_header=0` (the settings a
//! Kafka table forces).

use arrow::array::{AsArray, Int64Array};
use arrow::datatypes::{TimestampMillisecondType, TimestampSecondType, UInt64Type};
use sluice_common::ErrorCode;
use sluice_formats::text::value_to_string;

use super::*;

pub(super) fn settings(format: &str, extra: &[(&str, &str)]) -> KafkaSettings {
    let mut pairs = vec![
        ("kafka_broker_list", "b"),
        ("kafka_topic_list", "t"),
        ("kafka_group_name", "g"),
        ("kafka_format", format),
    ];
    pairs.extend_from_slice(extra);
    KafkaSettings::from_pairs(&pairs).unwrap()
}

pub(super) fn schema(cols: &[(&str, &str)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|(n, t)| ChType::parse(t).unwrap().to_field(n))
            .collect::<Vec<_>>(),
    ))
}

/// The batch as tab-joined lines, values in ClickHouse's plain text form (`NULL`,
/// strings unescaped).
pub(super) fn rows(b: &RecordBatch) -> Vec<String> {
    let ctx = sluice_formats::TextContext::default();
    (0..b.num_rows())
        .map(|r| {
            (0..b.num_columns())
                .map(|c| {
                    let f = b.schema().field(c).clone();
                    value_to_string(b.column(c).as_ref(), r, &ChType::from_field(&f), &ctx)
                })
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect()
}

fn decode(format: &str, cols: &[(&str, &str)], payloads: &[&str]) -> Vec<String> {
    let mut d = Decoder::try_new(&settings(format, &[]), schema(cols), &[]).unwrap();
    let msgs: Vec<Message> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| Message::new("t", 0, i as i64, p.as_bytes()))
        .collect();
    rows(&d.decode(&msgs).unwrap().batch)
}

const ID_S: &[(&str, &str)] = &[("id", "UInt32"), ("s", "String")];

/// Whole-payload rows share the batch's buffer; one invalid UTF-8 byte anywhere makes the
/// block fall back to a copy with a replacement character (a documented difference: Arrow
/// strings are UTF-8, ClickHouse keeps the bytes). Both paths give every row.
#[test]
fn whole_payload_rows_with_and_without_valid_utf8() {
    let mut d =
        Decoder::try_new(&settings("RawBLOB", &[]), schema(&[("raw", "String")]), &[]).unwrap();
    let valid = [Message::new("t", 0, 0, "ab"), Message::new("t", 0, 1, "c")];
    assert_eq!(rows(&d.decode(&valid).unwrap().batch), vec!["ab", "c"]);
    let invalid = [
        Message::new("t", 0, 0, "ab"),
        Message::new("t", 0, 1, b"c\xff".to_vec()),
    ];
    assert_eq!(
        rows(&d.decode(&invalid).unwrap().batch),
        vec!["ab".to_string(), "c\u{fffd}".to_string()]
    );
}

#[test]
fn formats_parse_as_clickhouse() {
    assert_eq!(
        decode(
            "JSONEachRow",
            &[("id", "UInt32"), ("name", "String")],
            &["{\"id\":1,\"name\":\"a\",\"extra\":5}\n{\"id\":2,\"name\":\"b\"}"]
        ),
        vec!["1\ta", "2\tb"]
    );
    assert_eq!(
        decode("CSV", ID_S, &["1,\"x,y\"\n2,z"]),
        vec!["1\tx,y", "2\tz"]
    );
    assert_eq!(decode("TSV", ID_S, &["1\ta\\tb"]), vec!["1\ta\tb"]);
    assert_eq!(decode("TabSeparated", ID_S, &["1\ta\\tb"]), vec!["1\ta\tb"]);
    assert_eq!(
        decode("JSONCompactEachRow", ID_S, &["[1,\"a\"] [2, \"b\"]"]),
        vec!["1\ta", "2\tb"]
    );
    assert_eq!(
        decode("Values", ID_S, &["(1,'a'),(2,'b')"]),
        vec!["1\ta", "2\tb"]
    );
    assert_eq!(decode("CSVWithNames", ID_S, &["s,id\nq,5"]), vec!["5\tq"]);
    assert_eq!(decode("TSVWithNames", ID_S, &["s\tid\nq\t5"]), vec!["5\tq"]);
    assert_eq!(
        decode(
            "JSONEachRow",
            &[("t", "DateTime('UTC')")],
            &["{\"t\":\"2024-01-02T03:04:05Z\"}"]
        ),
        vec!["2024-01-02 03:04:05"]
    );
    assert_eq!(
        decode(
            "JSONEachRow",
            &[("id", "UInt32"), ("n", "Nullable(String)")],
            &["{\"id\":null,\"n\":null}"]
        ),
        vec!["0\tNULL"]
    );
}

#[test]
fn single_string_formats() {
    let one = &[("raw", "String")];
    assert_eq!(decode("RawBLOB", one, &["a\nb", "c"]), vec!["a\nb", "c"]);
    assert_eq!(
        decode("LineAsString", one, &["a\nb", "c"]),
        vec!["a", "b", "c"]
    );
    // Oracle: format(JSONAsString, ' {"a":1} {"b" : 2},{"c":[1,2]}') gives three rows.
    assert_eq!(
        decode(
            "JSONAsString",
            one,
            &[" {\"a\":1} {\"b\" : 2},{\"c\":[1,2]}", "{\"d\":{}}"]
        ),
        vec!["{\"a\":1}", "{\"b\" : 2}", "{\"c\":[1,2]}", "{\"d\":{}}"]
    );
}

fn full_message(offset: i64) -> Message {
    Message {
        topic: Arc::from("events"),
        partition: 3,
        offset,
        key: Some(b"k1".to_vec()),
        payload: Some(b"{\"id\":1}\n{\"id\":2}\n{\"id\":3}".to_vec()),
        timestamp_ms: Some(1_700_000_000_123),
        headers: vec![("h1".into(), Some(b"v1".to_vec())), ("h2".into(), None)],
    }
}

/// A `JSONEachRow` decoder of `id UInt32` and every virtual column, for table `queue`.
fn decoder_with_virtuals() -> (Decoder, Vec<VirtualColumn>) {
    let virtuals = VirtualColumn::for_mode(HandleErrorMode::Default);
    let d = Decoder::try_new(
        &settings("JSONEachRow", &[]),
        schema(&[("id", "UInt32")]),
        &virtuals,
    )
    .unwrap()
    .with_table_name("queue");
    (d, virtuals)
}

#[test]
fn virtual_columns_repeat_per_row() {
    let (mut d, _) = decoder_with_virtuals();
    let mut bare = Message::new("events", 0, 9, "{\"id\":4}");
    bare.timestamp_ms = None;
    let tombstone = Message {
        payload: None,
        ..Message::new("events", 0, 10, "")
    };
    let empty = Message::new("events", 0, 11, "");
    let out = d
        .decode(&[full_message(7), bare, tombstone, empty])
        .unwrap()
        .batch;
    assert_eq!(out.num_rows(), 4);
    let sch = out.schema();
    let names: Vec<&str> = sch.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        vec![
            "id",
            "_topic",
            "_key",
            "_offset",
            "_partition",
            "_timestamp",
            "_timestamp_ms",
            "_headers.name",
            "_headers.value",
            "_table"
        ]
    );
    assert_eq!(
        rows(&out),
        vec![
            "1\tevents\tk1\t7\t3\t2023-11-14 22:13:20\t2023-11-14 22:13:20.123\t['h1','h2']\t['v1','']\tqueue",
            "2\tevents\tk1\t7\t3\t2023-11-14 22:13:20\t2023-11-14 22:13:20.123\t['h1','h2']\t['v1','']\tqueue",
            "3\tevents\tk1\t7\t3\t2023-11-14 22:13:20\t2023-11-14 22:13:20.123\t['h1','h2']\t['v1','']\tqueue",
            "4\tevents\t\t9\t0\tNULL\tNULL\t[]\t[]\tqueue",
        ]
    );
    // Types as ClickHouse declares them.
    let types: Vec<String> = out
        .schema()
        .fields()
        .iter()
        .map(|f| ChType::from_field(f).to_string())
        .collect();
    assert_eq!(types[1], "LowCardinality(String)");
    assert_eq!(types[3], "UInt64");
    assert_eq!(types[5], "Nullable(DateTime)");
    assert_eq!(types[6], "Nullable(DateTime64(3))");
    assert_eq!(types[7], "Array(String)");
    assert_eq!(out.column(3).as_primitive::<UInt64Type>().value(3), 9);
    assert_eq!(
        out.column(5).as_primitive::<TimestampSecondType>().value(0),
        1_700_000_000
    );
    assert_eq!(
        out.column(6)
            .as_primitive::<TimestampMillisecondType>()
            .value(0),
        1_700_000_000_123
    );
    assert!(out.column(5).is_null(3));
    let _ = Int64Array::from(vec![0i64]);
}

/// Virtual columns set unread are their type's zero values; the others keep their values.
#[test]
fn unread_virtual_columns_are_zero_values() {
    let (mut d, virtuals) = decoder_with_virtuals();
    let read = [VirtualColumn::Key, VirtualColumn::Offset];
    d.set_unread_virtuals(
        virtuals
            .iter()
            .copied()
            .filter(|v| !read.contains(v))
            .collect(),
    );
    let out = d.decode(&[full_message(7)]).unwrap().batch;
    assert_eq!(out.schema(), *d.output_schema());
    let want: Vec<String> = (1..=3)
        .map(|id| {
            format!("{id}\t\tk1\t7\t0\t1970-01-01 00:00:00\t1970-01-01 00:00:00.000\t[]\t[]\t")
        })
        .collect();
    assert_eq!(rows(&out), want);
    // Unset: every column read again.
    d.set_unread_virtuals(Vec::new());
    let out = d.decode(&[full_message(7)]).unwrap().batch;
    assert_eq!(
        rows(&out)[0],
        "1\tevents\tk1\t7\t3\t2023-11-14 22:13:20\t2023-11-14 22:13:20.123\t['h1','h2']\t['v1','']\tqueue"
    );
}

#[test]
fn schema_registry_skip_bytes() {
    let s = settings("JSONEachRow", &[("kafka_schema_registry_skip_bytes", "5")]);
    let mut d = Decoder::try_new(&s, schema(&[("id", "UInt32")]), &[]).unwrap();
    let msgs = vec![Message::new(
        "t",
        0,
        0,
        b"\x00\x00\x00\x00\x07{\"id\":5}".to_vec(),
    )];
    assert_eq!(rows(&d.decode(&msgs).unwrap().batch), vec!["5"]);
}

#[test]
fn json_as_string_splits_like_clickhouse() {
    let one = &[("raw", "String")];
    // Oracle: format(JSONAsString, '{abc}') → {abc}; '[{"a":1},{"b":"}"}]' → two rows.
    assert_eq!(decode("JSONAsString", one, &["{abc}"]), vec!["{abc}"]);
    assert_eq!(
        decode("JSONAsString", one, &["[{\"a\":1},{\"b\":\"}\"}]"]),
        vec!["{\"a\":1}", "{\"b\":\"}\"}"]
    );
    // Oracle: '{"a":1} x' → INCORRECT_DATA "JSON object must begin with '{': (at row 2)".
    let mut d = Decoder::try_new(&settings("JSONAsString", &[]), schema(one), &[]).unwrap();
    let e = d
        .decode(&[Message::new("t", 0, 4, "{\"a\":1} x")])
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::INCORRECT_DATA);
    assert_eq!(
        e.message,
        "JSON object must begin with '{': (at row 2)\n: while parsing Kafka message (topic: t, partition: 0, offset: 4)"
    );
}

#[test]
fn json_as_string_respects_strings_and_escapes() {
    // Oracle: format(JSONAsString, '{"a":"x\\"}{"} {"b":"\\\\"}') (SQL escaping) gives
    // the rows {"a":"x\"}{"} and {"b":"\\"}.
    let one = &[("raw", "String")];
    assert_eq!(
        decode("JSONAsString", one, &[r#"{"a":"x\"}{"} {"b":"\\"}"#]),
        vec![r#"{"a":"x\"}{"}"#, r#"{"b":"\\"}"#]
    );
}
