//! Tests of [`KafkaSettings`]: expected codes, messages and `SHOW CREATE TABLE` text come
//! from ClickHouse 26.9 (the oracle), e.g.
//! `CREATE TABLE k (a String) ENGINE = Kafka SETTINGS …; SHOW CREATE TABLE k`.

use super::*;

fn s(v: &str) -> Literal {
    Literal::string(v)
}

fn n(v: &str) -> Literal {
    Literal::number(v)
}

fn base() -> Vec<(String, Literal)> {
    vec![
        ("kafka_broker_list".into(), s("a")),
        ("kafka_topic_list".into(), s("t")),
        ("kafka_group_name".into(), s("g")),
        ("kafka_format".into(), s("CSV")),
    ]
}

fn with(extra: &[(&str, Literal)]) -> Result<KafkaSettings> {
    let mut v = base();
    v.extend(extra.iter().map(|(k, l)| (k.to_string(), l.clone())));
    KafkaSettings::parse(&[], &v)
}

fn err(extra: &[(&str, Literal)]) -> Error {
    match with(extra) {
        Ok(_) => panic!("expected an error for {extra:?}"),
        Err(e) => e,
    }
}

#[test]
fn defaults_are_clickhouse_defaults() {
    let k = with(&[]).unwrap();
    assert_eq!(k.broker_list, "a");
    assert_eq!(k.topic_list, vec!["t".to_string()]);
    assert_eq!(k.num_consumers, 1);
    assert_eq!(k.max_rows_per_message, 1);
    assert_eq!(k.consumers_pool_ttl_ms, 60_000);
    assert_eq!(k.consumer_reschedule_ms, 500);
    assert_eq!(k.compression_level, -1);
    assert_eq!(k.handle_error_mode, HandleErrorMode::Default);
    assert!(k.exactly_once);
    assert_eq!(k.effective_max_block_size(), 1_048_449);
    assert_eq!(k.effective_poll_max_batch_size(), 65_409);
    assert_eq!(k.effective_flush_interval_ms(), 7_500);
    assert_eq!(k.effective_poll_timeout_ms(), 500);
    let k = with(&[
        ("kafka_num_consumers", n("2")),
        ("kafka_max_block_size", n("100")),
    ])
    .unwrap();
    assert_eq!(k.effective_max_block_size(), 100);
    assert_eq!(k.effective_poll_max_batch_size(), 100);
    let k = with(&[("kafka_num_consumers", n("3"))]).unwrap();
    assert_eq!(k.effective_max_block_size(), 1_048_449 / 3);
}

#[test]
fn topic_list_is_split_and_trimmed() {
    let k = with(&[]).unwrap();
    assert_eq!(k.topic_list, vec!["t"]);
    let mut v = base();
    v[1].1 = s("a, b ,c");
    let k = KafkaSettings::parse(&[], &v).unwrap();
    assert_eq!(k.topic_list, vec!["a", "b", "c"]);
}

#[test]
fn missing_required_settings() {
    for (i, name) in [
        "kafka_broker_list",
        "kafka_topic_list",
        "kafka_group_name",
        "kafka_format",
    ]
    .iter()
    .enumerate()
    {
        let mut v = base();
        v.remove(i);
        let e = KafkaSettings::parse(&[], &v).unwrap_err();
        assert_eq!(e.code, ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH);
        assert_eq!(
            e.message,
            format!("Required parameter '{name}' for storage Kafka not specified")
        );
    }
    // An empty broker list is accepted at CREATE.
    let mut v = base();
    v[0].1 = s("");
    assert!(KafkaSettings::parse(&[], &v).is_ok());
}

#[test]
fn unknown_and_query_level_settings() {
    let e = err(&[("kafka_foo", n("1"))]);
    assert_eq!(e.code, ErrorCode::UNKNOWN_SETTING);
    assert_eq!(e.message, "Unknown setting 'kafka_foo': for storage Kafka");
    let e = err(&[("foo_bar", n("1"))]);
    assert_eq!(e.message, "Unknown setting 'foo_bar': for storage Kafka");
    let e = err(&[("input_format_foo", n("1"))]);
    assert_eq!(e.code, ErrorCode::UNKNOWN_SETTING);
    // A query-level setting is accepted and dropped from SHOW CREATE TABLE.
    let k = with(&[("max_block_size", n("5"))]).unwrap();
    assert_eq!(
        k.to_sql(),
        "ENGINE = Kafka\nSETTINGS kafka_broker_list = 'a', kafka_topic_list = 't', kafka_group_name = 'g', kafka_format = 'CSV'"
    );
    // Format settings are kept and reach the parser.
    let k = with(&[("format_csv_delimiter", s("|"))]).unwrap();
    assert_eq!(k.input_format_settings().unwrap().text.csv_delimiter, b'|');
    assert_eq!(
        k.to_sql(),
        "ENGINE = Kafka\nSETTINGS kafka_broker_list = 'a', kafka_topic_list = 't', kafka_group_name = 'g', kafka_format = 'CSV', format_csv_delimiter = '|'"
    );
    let e = err(&[("format_csv_delimiter", s("ab"))]);
    assert_eq!(e.code, ErrorCode::SIZE_OF_FIXED_STRING_DOESNT_MATCH);
    // Sluice's own setting.
    assert!(
        !with(&[("kafka_exactly_once", n("0"))])
            .unwrap()
            .exactly_once
    );
}

#[test]
fn malformed_values() {
    let e = err(&[("kafka_num_consumers", s("x"))]);
    assert_eq!(e.code, ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED);
    assert_eq!(e.message, "Cannot parse input: expected 'eof' before: 'x'");
    let e = err(&[("kafka_num_consumers", n("-1"))]);
    assert_eq!(e.code, ErrorCode::CANNOT_CONVERT_TYPE);
    assert_eq!(
        e.message,
        "Field value -1 is out of range of unsigned long type"
    );
    let e = err(&[("kafka_commit_every_batch", s("x"))]);
    assert_eq!(e.code, ErrorCode::CANNOT_PARSE_BOOL);
    assert_eq!(e.message, "Cannot parse bool from string 'x'");
    let e = err(&[("kafka_commit_every_batch", n("2"))]);
    assert_eq!(e.code, ErrorCode::CANNOT_CONVERT_TYPE);
    assert_eq!(e.message, "Field value 2 is out of range of bool type");
    let e = err(&[("kafka_handle_error_mode", s("foo"))]);
    assert_eq!(e.code, ErrorCode::BAD_ARGUMENTS);
    assert_eq!(
        e.message,
        "Unexpected value of StreamingHandleErrorMode: 'foo'. Must be one of ['dead_letter_queue', 'stream', 'default']"
    );
    let e = err(&[("kafka_client_id", n("5"))]);
    assert_eq!(e.code, crate::literal::BAD_GET);
    assert_eq!(e.message, "Bad get: has UInt64, requested String");
    let e = err(&[("kafka_row_delimiter", s("ab"))]);
    assert_eq!(e.code, ErrorCode::SIZE_OF_FIXED_STRING_DOESNT_MATCH);
    // Accepted as ClickHouse accepts them.
    assert_eq!(
        with(&[("kafka_num_consumers", s("2"))])
            .unwrap()
            .num_consumers,
        2
    );
    assert_eq!(
        with(&[("kafka_num_consumers", n("1.5"))])
            .unwrap()
            .num_consumers,
        1
    );
    assert!(
        with(&[("kafka_thread_per_consumer", s("true"))])
            .unwrap()
            .thread_per_consumer
    );
    assert_eq!(
        with(&[("kafka_compression_level", n("-3"))])
            .unwrap()
            .compression_level,
        -3
    );
}

#[test]
fn range_checks() {
    let e = err(&[("kafka_num_consumers", n("0"))]);
    assert_eq!(e.code, ErrorCode::BAD_ARGUMENTS);
    assert_eq!(e.message, "Number of consumers can not be lower than 1");
    let e = err(&[("kafka_num_consumers", n("1000"))]);
    assert_eq!(e.code, ErrorCode::BAD_ARGUMENTS);
    assert!(
        e.message
            .starts_with("The number of consumers can not be bigger than")
    );
    let e = err(&[("kafka_max_block_size", n("0"))]);
    assert_eq!(e.message, "kafka_max_block_size can not be lower than 1");
    let e = err(&[("kafka_poll_max_batch_size", n("0"))]);
    assert_eq!(
        e.message,
        "kafka_poll_max_batch_size can not be lower than 1"
    );
    let e = err(&[("kafka_schema_registry_skip_bytes", n("256"))]);
    assert_eq!(
        e.message,
        "kafka_schema_registry_skip_bytes value 256 must be between 0 and 255"
    );
    let e = err(&[("kafka_consumers_pool_ttl_ms", n("700000"))]);
    assert_eq!(
        e.message,
        "The value of 'kafka_consumers_pool_ttl_ms' (700000) cannot be too big (greater then 600000), since this may cause live memory leaks"
    );
    let e = err(&[("kafka_consumers_pool_ttl_ms", n("100"))]);
    assert_eq!(
        e.message,
        "The value of 'kafka_consumers_pool_ttl_ms' (100) cannot be less than 'kafka_consumer_reschedule_ms' (500)"
    );
}

#[test]
fn positional_form() {
    let args = [
        s("localhost:1"),
        s("t"),
        Literal::Identifier("g".into()),
        Literal::Identifier("JSONEachRow".into()),
        s("\n"),
        s(""),
        n("2"),
        n("100"),
    ];
    let k = KafkaSettings::parse(&args, &[]).unwrap();
    assert_eq!(k.group_name, "g");
    assert_eq!(k.format, "JSONEachRow");
    assert_eq!(k.num_consumers, 2);
    assert_eq!(k.max_block_size, 100);
    assert_eq!(
        k.to_sql(),
        "ENGINE = Kafka('localhost:1', 't', 'g', 'JSONEachRow', '\\n', '', 2, 100)"
    );
    // Mixed form.
    let k = KafkaSettings::parse(
        &[s("localhost:1"), s("t"), s("g")],
        &[("kafka_format".into(), s("CSV"))],
    )
    .unwrap();
    assert_eq!(
        k.to_sql(),
        "ENGINE = Kafka('localhost:1', 't', 'g')\nSETTINGS kafka_format = 'CSV'"
    );
    // All 17 positions; extra arguments are ignored.
    let all = [
        s("a"),
        s("t"),
        s("g"),
        s("CSV"),
        s(""),
        s(""),
        n("1"),
        n("2"),
        n("3"),
        n("1"),
        s("c"),
        n("6"),
        n("7"),
        n("1"),
        s("stream"),
        n("1"),
        n("9"),
        n("1"),
    ];
    let k = KafkaSettings::parse(&all, &[]).unwrap();
    assert_eq!(k.skip_broken_messages, 3);
    assert!(k.commit_every_batch);
    assert_eq!(k.client_id, "c");
    assert_eq!(k.poll_timeout_ms, 6);
    assert_eq!(k.flush_interval_ms, 7);
    assert!(k.thread_per_consumer);
    assert_eq!(k.handle_error_mode, HandleErrorMode::Stream);
    assert!(k.commit_on_select);
    assert_eq!(k.max_rows_per_message, 9);
}

#[test]
fn positional_errors() {
    let e = KafkaSettings::parse(
        &[s("a"), s("t"), s("g"), s("CSV")],
        &[("kafka_format".into(), s("CSV"))],
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::BAD_ARGUMENTS);
    assert_eq!(
        e.message,
        "The argument №4 of storage Kafka and the parameter 'kafka_format' in SETTINGS cannot be specified at the same time"
    );
    let e = KafkaSettings::parse(
        &[s("a"), s("t"), s("g"), s("CSV"), s(""), s(""), s("x")],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "Argument 'kafka_num_consumers' must be a literal with type UInt64, got String"
    );
    let e = KafkaSettings::parse(&[s("a"), n("1"), s("g"), s("CSV")], &[]).unwrap_err();
    assert_eq!(
        e.message,
        "Argument 'kafka_topic_list' must be a literal with type String, got UInt64"
    );
}

#[test]
fn modify_setting_round_trips() {
    let mut k = with(&[("kafka_num_consumers", n("2"))]).unwrap();
    k.modify(&[
        ("kafka_num_consumers".into(), n("3")),
        ("kafka_max_block_size".into(), n("10")),
    ])
    .unwrap();
    assert_eq!(k.num_consumers, 3);
    assert_eq!(k.max_block_size, 10);
    assert_eq!(
        k.to_sql(),
        "ENGINE = Kafka\nSETTINGS kafka_broker_list = 'a', kafka_topic_list = 't', kafka_group_name = 'g', kafka_format = 'CSV', kafka_num_consumers = 3, kafka_max_block_size = 10"
    );
    let before = k.clone();
    assert!(k.modify(&[("kafka_num_consumers".into(), n("0"))]).is_err());
    assert_eq!(k, before);
}

#[test]
fn password_is_hidden_in_show_create() {
    // Oracle: SHOW CREATE TABLE prints kafka_sasl_password = '[HIDDEN]'.
    let k = with(&[
        ("kafka_sasl_password", s("secret")),
        ("kafka_sasl_username", s("u")),
    ])
    .unwrap();
    assert_eq!(
        k.to_sql(),
        "ENGINE = Kafka\nSETTINGS kafka_broker_list = 'a', kafka_topic_list = 't', kafka_group_name = 'g', kafka_format = 'CSV', kafka_sasl_password = '[HIDDEN]', kafka_sasl_username = 'u'"
    );
    assert!(
        k.to_sql_with_secrets()
            .contains("kafka_sasl_password = 'secret'")
    );
    assert_eq!(k.sasl_password, "secret");
}

#[test]
fn column_defaults_are_refused_except_alias() {
    // Oracle: CREATE TABLE k (a UInt8, b UInt8 DEFAULT 1) ENGINE = Kafka(…) → code 36.
    for k in [
        ColumnDefaultKind::Default,
        ColumnDefaultKind::Materialized,
        ColumnDefaultKind::Ephemeral,
    ] {
        let e = check_column_defaults(&[None, Some(k)]).unwrap_err();
        assert_eq!(e.code, ErrorCode::BAD_ARGUMENTS);
        assert!(e.message.starts_with(
            "KafkaEngine doesn't support DEFAULT/MATERIALIZED/EPHEMERAL expressions for columns."
        ));
    }
    assert!(check_column_defaults(&[None, Some(ColumnDefaultKind::Alias)]).is_ok());
}

/// `kafka_keeper_path`/`kafka_replica_name`: oracle (26.9, chdb) `CREATE TABLE kk (a UInt8)
/// ENGINE = Kafka('127.0.0.1:39192', 's1', 'gk', 'JSONEachRow') SETTINGS …`: either one set
/// → 344; with `allow_kafka_offsets_storage_in_keeper = 1` (or its alias) and one of the
/// two missing → 36; both set → ClickHouse looks for its Keeper ("There is no Zookeeper
/// configuration in server config", 139), and so does Sluice, which has none. The other checks come first (`kafka_num_consumers = 0` → 36 "Number of
/// consumers can not be lower than 1" with the keeper settings too).
#[test]
fn offsets_in_keeper_are_experimental() {
    let disabled = "Storing the Kafka offsets in Keeper is experimental. Set `allow_kafka_offsets_storage_in_keeper` setting to enable it";
    for extra in [
        &[("kafka_keeper_path", s("/x"))][..],
        &[("kafka_replica_name", s("r"))][..],
        &[
            ("kafka_keeper_path", s("/x")),
            ("kafka_replica_name", s("r")),
        ][..],
        &[
            ("kafka_keeper_path", s("/x")),
            ("kafka_replica_name", s("r")),
            ("allow_kafka_offsets_storage_in_keeper", n("0")),
        ][..],
    ] {
        let e = err(extra);
        assert_eq!(e.code, ErrorCode::SUPPORT_IS_DISABLED, "{extra:?}");
        assert_eq!(e.message, disabled);
    }
    for allow in [
        "allow_kafka_offsets_storage_in_keeper",
        "allow_experimental_kafka_offsets_storage_in_keeper",
    ] {
        let e = err(&[("kafka_keeper_path", s("/x")), (allow, n("1"))]);
        assert_eq!(e.code, ErrorCode::BAD_ARGUMENTS);
        assert_eq!(
            e.message,
            "To store committed offsets in Keeper both kafka_keeper_path and kafka_replica_name must be specified"
        );
        let e = err(&[
            ("kafka_keeper_path", s("/x")),
            ("kafka_replica_name", s("r")),
            (allow, n("1")),
        ]);
        assert_eq!(e.code, ErrorCode::NO_ELEMENTS_IN_CONFIG);
        assert_eq!(
            e.message,
            "There is no Zookeeper configuration in server config"
        );
    }
    let e = err(&[
        ("kafka_keeper_path", s("/x")),
        ("kafka_num_consumers", n("0")),
    ]);
    assert_eq!(e.code, ErrorCode::BAD_ARGUMENTS);
    assert_eq!(e.message, "Number of consumers can not be lower than 1");
    // Empty values are no request for Keeper.
    assert!(with(&[("kafka_keeper_path", s("")), ("kafka_replica_name", s(""))]).is_ok());
}
