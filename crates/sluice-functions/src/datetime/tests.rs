//! End-to-end tests of the date/time UDFs; expected values and type names come from the
//! ClickHouse oracle, most from ClickHouse's own tests (00514, 00718, 00941, 01472).

use sluice_common::ErrorCode;

use super::testutil::{Arg, call, call_tz, column, err, i, one, s, type_of, typed};

fn moscow() -> Arg {
    typed("2021-01-03 17:48:53", "DateTime('Europe/Moscow')")
}

#[test]
fn components_and_truncations() {
    // SELECT toYear(d), … FROM (SELECT toDateTime('2021-01-03 17:48:53', 'Europe/Moscow') AS d)
    let cases: &[(&str, &str)] = &[
        ("toYear", "2021"),
        ("toQuarter", "1"),
        ("toMonth", "1"),
        ("toDayOfMonth", "3"),
        ("toDayOfWeek", "7"),
        ("toDayOfYear", "3"),
        ("toHour", "17"),
        ("toMinute", "48"),
        ("toSecond", "53"),
        ("toYYYYMM", "202101"),
        ("toYYYYMMDD", "20210103"),
        ("toYYYYMMDDhhmmss", "20210103174853"),
        ("toUnixTimestamp", "1609685333"),
        ("toStartOfMinute", "2021-01-03 17:48:00"),
        ("toStartOfFiveMinutes", "2021-01-03 17:45:00"),
        ("toStartOfTenMinutes", "2021-01-03 17:40:00"),
        ("toStartOfFifteenMinutes", "2021-01-03 17:45:00"),
        ("toStartOfHour", "2021-01-03 17:00:00"),
        ("toStartOfDay", "2021-01-03 00:00:00"),
        ("toStartOfWeek", "2021-01-03"),
        ("toStartOfMonth", "2021-01-01"),
        ("toStartOfQuarter", "2021-01-01"),
        ("toStartOfYear", "2021-01-01"),
        ("toMonday", "2020-12-28"),
        ("toISOWeek", "53"),
        ("toISOYear", "2020"),
        ("toLastDayOfMonth", "2021-01-31"),
        ("toRelativeDayNum", "18630"),
    ];
    for (f, want) in cases {
        assert_eq!(one(f, vec![moscow()]), *want, "{f}");
    }
    assert_eq!(one("toStartOfWeek", vec![moscow(), i(1)]), "2020-12-28");
    assert_eq!(one("toDayOfWeek", vec![moscow(), i(1)]), "6");
    assert_eq!(one("toDayOfWeek", vec![moscow(), i(2)]), "0");
    assert_eq!(one("toDayOfWeek", vec![moscow(), i(3)]), "1");
    // toHour(d, 'UTC') → 14; toStartOfDay(d, 'UTC') → 2021-01-03 00:00:00 DateTime('UTC')
    assert_eq!(one("toHour", vec![moscow(), s("UTC")]), "14");
    assert_eq!(
        call("toStartOfDay", vec![moscow(), s("UTC")]).map(|r| r.0),
        Ok("DateTime('UTC')".to_string())
    );
    // Types: toYear UInt16, toMonth UInt8, toYYYYMMDDhhmmss UInt64, toStartOfMonth Date.
    assert_eq!(type_of("toYear", vec![moscow()]), "UInt16");
    assert_eq!(type_of("toMonth", vec![moscow()]), "UInt8");
    assert_eq!(type_of("toYYYYMMDDhhmmss", vec![moscow()]), "UInt64");
    assert_eq!(type_of("toStartOfMonth", vec![moscow()]), "Date");
    assert_eq!(
        type_of(
            "toStartOfHour",
            vec![typed("2020-01-01 10:20:30.123", "DateTime64(3)")]
        ),
        "DateTime"
    );
    assert_eq!(
        type_of(
            "toStartOfSecond",
            vec![typed("2020-01-01 10:20:30.123", "DateTime64(3)")]
        ),
        "DateTime64(3)"
    );
    // toYear(toLowCardinality(toDate('2020-01-01'))) → LowCardinality(UInt16)
    let lc = column("LowCardinality(Date)", &[Some("2020-01-01")]);
    assert_eq!(
        call("toYear", vec![lc]),
        Ok(("LowCardinality(UInt16)".into(), vec!["2020".into()]))
    );
    // toHour(Date) and toYear(String) → ILLEGAL_TYPE_OF_ARGUMENT.
    assert_eq!(
        err("toHour", vec![typed("2020-01-01", "Date")]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    assert_eq!(
        err("toYear", vec![s("2020-01-01")]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    // toUnixTimestamp('2020-01-01 00:00:00') → 1577836800
    assert_eq!(
        one("toUnixTimestamp", vec![s("2020-01-01 00:00:00")]),
        "1577836800"
    );
}

#[test]
fn truncations_of_a_utc_column() {
    // SELECT toStartOfHour(d), toStartOfFifteenMinutes(d), toStartOfDay(d), toStartOfMinute(d)
    // FROM (SELECT arrayJoin([toDateTime('2021-01-03 17:48:53', 'UTC'),
    //                         toDateTime('1970-01-01 00:10:00', 'UTC'), NULL]) AS d)
    let d = || {
        column(
            "Nullable(DateTime('UTC'))",
            &[
                Some("2021-01-03 17:48:53"),
                Some("1970-01-01 00:10:00"),
                None,
            ],
        )
    };
    let cases: &[(&str, [&str; 3])] = &[
        (
            "toStartOfHour",
            ["2021-01-03 17:00:00", "1970-01-01 00:00:00", "\\N"],
        ),
        (
            "toStartOfFifteenMinutes",
            ["2021-01-03 17:45:00", "1970-01-01 00:00:00", "\\N"],
        ),
        (
            "toStartOfDay",
            ["2021-01-03 00:00:00", "1970-01-01 00:00:00", "\\N"],
        ),
        (
            "toStartOfMinute",
            ["2021-01-03 17:48:00", "1970-01-01 00:10:00", "\\N"],
        ),
    ];
    for (f, want) in cases {
        let (t, rows) = call(f, vec![d()]).unwrap_or_else(|e| panic!("{f}: {e:?}"));
        assert_eq!(t, "Nullable(DateTime('UTC'))", "{f}");
        assert_eq!(rows, want.to_vec(), "{f}");
    }
}

#[test]
fn empty_time_zone_is_rejected() {
    // 01472_toStartOfInterval_disallow_empty_tz_field
    for f in [
        "toStartOfDay",
        "toStartOfMonth",
        "toStartOfQuarter",
        "toStartOfYear",
        "toStartOfTenMinutes",
        "toStartOfFifteenMinutes",
        "toStartOfHour",
        "toStartOfMinute",
    ] {
        let t = typed("2017-12-31 00:00:00", "DateTime('UTC')");
        assert_eq!(
            err(f, vec![t, s("")]),
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            "{f}"
        );
    }
    let t = typed("2017-12-31 05:12:30", "DateTime('UTC')");
    assert_eq!(
        one("toStartOfTenMinutes", vec![t, s("UTC")]),
        "2017-12-31 05:10:00"
    );
    let t = typed("2017-12-31 00:00:00", "DateTime('UTC')");
    assert_eq!(one("toStartOfQuarter", vec![t, s("UTC")]), "2017-10-01");
}

#[test]
fn weeks() {
    // 00941_to_custom_week (rows 1, 4 and the 2000-12-31 mode sweep)
    let d = |x: &str| typed(x, "Date");
    assert_eq!(one("toWeek", vec![d("1998-01-01")]), "0");
    assert_eq!(one("toWeek", vec![d("1998-01-01"), i(1)]), "1");
    assert_eq!(one("toYearWeek", vec![d("1981-12-31"), i(1)]), "198153");
    assert_eq!(one("toYearWeek", vec![d("1987-01-01")]), "198652");
    let got: Vec<String> = (0..8)
        .map(|m| one("toYearWeek", vec![d("2000-12-31"), i(m)]))
        .collect();
    assert_eq!(
        got,
        [
            "200053", "200052", "200053", "200052", "200101", "200052", "200101", "200052"
        ]
    );
    // Modes 8 and 9 over a DateTime in Moscow with an explicit zone.
    let t = typed("2016-12-26 00:00:00", "DateTime('Europe/Moscow')");
    assert_eq!(one("toWeek", vec![t, i(9), s("Europe/Moscow")]), "1");
    let t = typed("2016-12-25 00:00:00", "DateTime('Europe/Moscow')");
    assert_eq!(
        one("toYearWeek", vec![t, i(8), s("Europe/Moscow")]),
        "201653"
    );
    assert_eq!(type_of("toYearWeek", vec![d("2000-01-01")]), "UInt32");
}

#[test]
fn interval_arithmetic() {
    // 00514_interval_operators
    let t = || typed("2017-10-30 08:18:19", "DateTime");
    let r = call(
        "addYears",
        vec![typed("2016-11-30 08:18:19", "DateTime"), i(-1)],
    );
    assert_eq!(r.map(|x| x.1), Ok(vec!["2015-11-30 08:18:19".to_string()]));
    assert_eq!(one("addMonths", vec![t(), i(4)]), "2018-02-28 08:18:19");
    assert_eq!(
        one(
            "subtractQuarters",
            vec![typed("2016-02-29 01:02:03", "DateTime"), i(1)]
        ),
        "2015-11-29 01:02:03"
    );
    assert_eq!(
        one(
            "addYears",
            vec![typed("2016-02-29 01:02:03", "DateTime"), i(1)]
        ),
        "2017-02-28 01:02:03"
    );
    let base = || typed("2000-01-01 12:00:00", "DateTime");
    assert_eq!(
        call("addSeconds", vec![base(), i(1234567)]),
        Ok(("DateTime".into(), vec!["2000-01-15 18:56:07".into()]))
    );
    assert_eq!(
        call("addMilliseconds", vec![base(), i(1234567)]),
        Ok((
            "DateTime64(3)".into(),
            vec!["2000-01-01 12:20:34.567".into()]
        ))
    );
    assert_eq!(
        call("addMicroseconds", vec![base(), i(1234567)]),
        Ok((
            "DateTime64(6)".into(),
            vec!["2000-01-01 12:00:01.234567".into()]
        ))
    );
    assert_eq!(
        call("subtractNanoseconds", vec![base(), i(1234567)]),
        Ok((
            "DateTime64(9)".into(),
            vec!["2000-01-01 11:59:59.998765433".into()]
        ))
    );
    let t64 = typed("2000-01-01 12:00:00.67898", "DateTime64(5)");
    assert_eq!(
        call("subtractMilliseconds", vec![t64, i(12345)]),
        Ok((
            "DateTime64(5)".into(),
            vec!["2000-01-01 11:59:48.33398".into()]
        ))
    );
    let t64 = typed("2000-01-01 12:00:00.67", "DateTime64(2)");
    assert_eq!(
        call("subtractMilliseconds", vec![t64, i(12345)]),
        Ok((
            "DateTime64(3)".into(),
            vec!["2000-01-01 11:59:48.325".into()]
        ))
    );
    let far = typed("3000-01-01 12:00:00.12345", "DateTime64(0)");
    assert_eq!(
        err("addNanoseconds", vec![far, i(0)]),
        ErrorCode::DECIMAL_OVERFLOW
    );
    let far = typed("3000-01-01 12:00:00.12345", "DateTime64(0)");
    assert_eq!(
        one("addMicroseconds", vec![far, i(0)]),
        "3000-01-01 12:00:00.000000"
    );
    assert_eq!(
        err("addNanoseconds", vec![typed("2000-01-01", "Date"), i(1)]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    // Date + INTERVAL 1 MONTH / 1 HOUR; Date32 + 1 HOUR is DateTime64(3); DST in Berlin.
    assert_eq!(
        one("addMonths", vec![typed("2020-01-31", "Date"), i(1)]),
        "2020-02-29"
    );
    assert_eq!(
        call("addHours", vec![typed("2020-01-01", "Date"), i(1)]),
        Ok(("DateTime".into(), vec!["2020-01-01 01:00:00".into()]))
    );
    assert_eq!(
        type_of("addHours", vec![typed("2020-01-01", "Date32"), i(1)]),
        "DateTime64(3)"
    );
    assert_eq!(
        one("addDays", vec![typed("2149-06-06", "Date"), i(1)]),
        "1970-01-01"
    );
    let berlin = || typed("2020-03-29 01:30:00", "DateTime('Europe/Berlin')");
    assert_eq!(one("addDays", vec![berlin(), i(1)]), "2020-03-30 01:30:00");
    assert_eq!(
        one("addHours", vec![berlin(), i(24)]),
        "2020-03-30 02:30:00"
    );
    // Column input: toDateTime('2017-10-30 08:18:19') + INTERVAL 1 DAY + INTERVAL number MONTH
    let c = column(
        "DateTime",
        &[Some("2017-10-31 08:18:19"), Some("2017-10-31 08:18:19")],
    );
    let n = column("UInt64", &[Some("0"), Some("1")]);
    assert_eq!(
        call("addMonths", vec![c, n]).map(|r| r.1),
        Ok(vec![
            "2017-10-31 08:18:19".into(),
            "2017-11-30 08:18:19".into()
        ])
    );
}

#[test]
fn date_diff_and_trunc() {
    // dateDiff('month', 2020-01-31, 2020-02-01) = 1, year 2020-12-31 → 2021-01-01 = 1,
    // hour 00:59:59 → 01:00:00 = 1, week 2020-01-01 → 2020-01-08 = 1, ms = 500.
    let d = |x: &str| typed(x, "Date");
    assert_eq!(
        call(
            "dateDiff",
            vec![s("month"), d("2020-01-31"), d("2020-02-01")]
        ),
        Ok(("Int64".into(), vec!["1".into()]))
    );
    assert_eq!(
        one(
            "dateDiff",
            vec![s("year"), d("2020-12-31"), d("2021-01-01")]
        ),
        "1"
    );
    assert_eq!(
        one(
            "dateDiff",
            vec![s("week"), d("2020-01-01"), d("2020-01-08")]
        ),
        "1"
    );
    assert_eq!(
        one(
            "dateDiff",
            vec![s("quarter"), d("2020-03-31"), d("2020-04-01")]
        ),
        "1"
    );
    let t = |x: &str| typed(x, "DateTime");
    assert_eq!(
        one(
            "date_diff",
            vec![
                s("hour"),
                t("2020-01-01 00:59:59"),
                t("2020-01-01 01:00:00")
            ]
        ),
        "1"
    );
    let m = |x: &str| typed(x, "DateTime64(3)");
    assert_eq!(
        one(
            "dateDiff",
            vec![
                s("ms"),
                m("2020-01-01 00:00:00.5"),
                m("2020-01-01 00:00:01")
            ]
        ),
        "500"
    );
    assert_eq!(
        err(
            "dateDiff",
            vec![s("fortnight"), d("2020-01-01"), d("2020-01-02")]
        ),
        ErrorCode::BAD_ARGUMENTS
    );
    // date_trunc('week', DateTime) → 2019-12-30; ('day', DateTime('Asia/Tokyo')) keeps the zone;
    // ('millisecond', DateTime64(6)) → DateTime64(3); ('hour', Date) → 43.
    assert_eq!(
        one("date_trunc", vec![s("week"), t("2020-01-01 10:00:00")]),
        "2019-12-30"
    );
    let tokyo = typed("2020-01-01 10:00:00", "DateTime('Asia/Tokyo')");
    assert_eq!(
        call("date_trunc", vec![s("Day"), tokyo]),
        Ok((
            "DateTime('Asia/Tokyo')".into(),
            vec!["2020-01-01 00:00:00".into()]
        ))
    );
    let us = typed("2020-01-01 10:00:00.123456", "DateTime64(6)");
    assert_eq!(
        call("date_trunc", vec![s("millisecond"), us]),
        Ok((
            "DateTime64(3)".into(),
            vec!["2020-01-01 10:00:00.123".into()]
        ))
    );
    assert_eq!(
        err("date_trunc", vec![s("hour"), d("2020-01-01")]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    assert_eq!(
        type_of("date_trunc", vec![s("week"), typed("2020-01-01", "Date32")]),
        "Date32"
    );
}

#[test]
fn start_of_interval() {
    // toStartOfInterval(… , INTERVAL 7 HOUR / 7 MINUTE / 7 SECOND / 3 DAY / 2 WEEK / 5 MONTH / 3 YEAR)
    let iv = |n: i64, unit: &str| {
        Arg::Const(
            sluice_common::ChType::Interval(unit.to_string()),
            datafusion::common::ScalarValue::Int64(Some(n)),
        )
    };
    let t = |x: &str| typed(x, "DateTime");
    assert_eq!(
        one(
            "toStartOfInterval",
            vec![t("2020-01-01 05:30:00"), iv(7, "Hour")]
        ),
        "2020-01-01 00:00:00"
    );
    assert_eq!(
        one(
            "toStartOfInterval",
            vec![t("2020-01-01 05:37:00"), iv(7, "Minute")]
        ),
        "2020-01-01 05:34:00"
    );
    assert_eq!(
        one(
            "toStartOfInterval",
            vec![t("2020-01-01 05:37:33"), iv(7, "Second")]
        ),
        "2020-01-01 05:37:30"
    );
    let d = |x: &str| typed(x, "Date");
    assert_eq!(
        call("toStartOfInterval", vec![d("2020-01-05"), iv(3, "Day")]),
        Ok(("DateTime".into(), vec!["2020-01-03 00:00:00".into()]))
    );
    assert_eq!(
        one("toStartOfInterval", vec![d("2020-01-05"), iv(2, "Week")]),
        "2019-12-30"
    );
    assert_eq!(
        one("toStartOfInterval", vec![d("2020-05-05"), iv(5, "Month")]),
        "2020-01-01"
    );
    assert_eq!(
        one("toStartOfInterval", vec![d("2020-05-05"), iv(3, "Year")]),
        "2019-01-01"
    );
    let us = typed("2020-01-01 05:37:33.123456", "DateTime64(6)");
    assert_eq!(
        call("toStartOfInterval", vec![us, iv(100, "Millisecond")]),
        Ok((
            "DateTime64(3)".into(),
            vec!["2020-01-01 05:37:33.100".into()]
        ))
    );
    assert_eq!(
        err("toStartOfInterval", vec![d("2020-01-01"), iv(1, "Hour")]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    // DataFusion's own INTERVAL literal (IntervalMonthDayNano) works too.
    let mdn = Arg::Const(
        sluice_common::ChType::String,
        datafusion::common::ScalarValue::IntervalMonthDayNano(Some(
            datafusion::arrow::datatypes::IntervalMonthDayNano::new(0, 0, 15 * 60 * 1_000_000_000),
        )),
    );
    assert_eq!(
        one("toStartOfInterval", vec![t("2021-01-03 17:48:53"), mdn]),
        "2021-01-03 17:45:00"
    );
}

#[test]
fn format_date_time() {
    // 00718_format_datetime
    let t = || typed("2018-01-02 22:33:44", "DateTime");
    let d = || typed("2018-01-02", "Date32");
    for (spec, a, b) in [
        ("%a", "Tue", "Tue"),
        ("%c", "01", "01"),
        ("%D", "01/02/18", "01/02/18"),
        ("%e", "2", "2"),
        ("%h", "10", "12"),
        ("%H", "22", "00"),
        ("%i", "33", "00"),
        ("%M", "January", "January"),
        ("%n", "\\n", "\\n"),
        ("%p", "PM", "AM"),
        ("%r", "10:33 PM", "12:00 AM"),
        ("%T", "22:33:44", "00:00:00"),
        ("%W", "Tuesday", "Tuesday"),
        ("%%", "%", "%"),
        (
            "no formatting pattern",
            "no formatting pattern",
            "no formatting pattern",
        ),
    ] {
        assert_eq!(one("formatDateTime", vec![t(), s(spec)]), a, "{spec}");
        assert_eq!(one("formatDateTime", vec![d(), s(spec)]), b, "{spec}");
    }
    assert_eq!(
        one(
            "formatDateTime",
            vec![typed("1927-01-01", "Date32"), s("%F %T")]
        ),
        "1927-01-01 00:00:00"
    );
    let utc = || typed("2018-01-01 01:00:00", "DateTime('UTC')");
    assert_eq!(
        one(
            "formatDateTime",
            vec![utc(), s("%F %T"), s("Asia/Istanbul")]
        ),
        "2018-01-01 04:00:00"
    );
    assert_eq!(
        one(
            "formatDateTime",
            vec![
                typed("2020-01-01 01:00:00", "DateTime('US/Samoa')"),
                s("%z")
            ]
        ),
        "-1100"
    );
    assert_eq!(
        one(
            "formatDateTime",
            vec![
                typed("1970-01-01 00:00:00", "DateTime('Asia/Kolkata')"),
                s("%z")
            ]
        ),
        "+0530"
    );
    assert_eq!(
        one(
            "formatDateTime",
            vec![
                typed("2010-01-04 12:34:56.123456", "DateTime64(7)"),
                s("%f")
            ]
        ),
        "123456"
    );
    assert_eq!(
        one(
            "formatDateTime",
            vec![
                typed("2022-12-08 18:11:29.1234", "DateTime64(1, 'UTC')"),
                s("%F %T.%f")
            ]
        ),
        "2022-12-08 18:11:29.100000"
    );
    assert_eq!(
        one(
            "formatDateTime",
            vec![typed("2022-12-08", "Date"), s("%F %T.%f")]
        ),
        "2022-12-08 00:00:00.000000"
    );
    assert_eq!(
        err("formatDateTime", vec![]),
        ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH
    );
    assert_eq!(
        err("formatDateTime", vec![s("not a datetime"), s("IGNORED")]),
        ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
    );
    assert_eq!(
        err("formatDateTime", vec![t(), s("unescaped %")]),
        ErrorCode::BAD_ARGUMENTS
    );
    assert_eq!(
        err("formatDateTime", vec![t(), s("%U")]),
        ErrorCode::NOT_IMPLEMENTED
    );
    assert_eq!(
        err("formatDateTime", vec![t(), s("%x")]),
        ErrorCode::NOT_IMPLEMENTED
    );
    // FROM_UNIXTIME(1234567890, '%Y-%m-%d'), FROM_UNIXTIME(1234567890)
    assert_eq!(
        one("FROM_UNIXTIME", vec![i(1234567890), s("%Y-%m-%d")]),
        "2009-02-13"
    );
    assert_eq!(
        call("fromUnixTimestamp", vec![i(1234567890)]),
        Ok(("DateTime".into(), vec!["2009-02-13 23:31:30".into()]))
    );
}

#[test]
fn clocks_and_zones() {
    // Types: now() DateTime, now('UTC') DateTime('UTC'), now64() DateTime64(3), today() Date.
    assert_eq!(type_of("now", vec![]), "DateTime");
    assert_eq!(type_of("now", vec![s("UTC")]), "DateTime('UTC')");
    assert_eq!(type_of("now64", vec![]), "DateTime64(3)");
    assert_eq!(type_of("today", vec![]), "Date");
    assert_eq!(
        call_tz("timeZone", vec![], "Europe/Moscow").map(|r| r.1),
        Ok(vec!["Europe/Moscow".into()])
    );
    // toTimeZone(CAST(1 AS TIMESTAMP), 'UTC') → 1970-01-01 00:00:01; type DateTime('UTC').
    let t = typed("1970-01-01 00:00:01", "DateTime");
    assert_eq!(
        call("toTimeZone", vec![t, s("UTC")]),
        Ok(("DateTime('UTC')".into(), vec!["1970-01-01 00:00:01".into()]))
    );
    // The session zone drives DateTime without its own zone.
    let r = call_tz(
        "toHour",
        vec![typed("2020-01-01 00:00:00", "DateTime('UTC')")],
        "Asia/Tokyo",
    );
    assert_eq!(r.map(|x| x.1), Ok(vec!["0".into()]));
}

#[test]
fn through_datafusion_sql() {
    // The UDFs survive DataFusion's planner (signature, constant folding, `now()` folding)
    // and executor. Values from the oracle: formatDateTime(toDateTime('2018-01-02 22:33:44'),
    // '%F %T') and toStartOfInterval(toDateTime('2021-01-03 17:48:53'), INTERVAL 15 MINUTE).
    use datafusion::arrow::util::display::array_value_to_string;
    use datafusion::prelude::SessionContext;

    let ctx = SessionContext::new();
    for f in crate::conversion::functions()
        .into_iter()
        .chain(crate::datetime::functions())
    {
        ctx.register_udf(f);
    }
    let sql = "SELECT \"formatDateTime\"(\"toDateTime\"('2018-01-02 22:33:44'), '%F %T') AS a, \
               \"toStartOfInterval\"(\"toDateTime\"('2021-01-03 17:48:53'), INTERVAL 15 MINUTE) AS b, \
               \"toYear\"(\"now\"()) >= 2024 AS c, \
               \"_CAST\"(column1, 'Enum8(''a'' = 1, ''b'' = 2)') AS d \
               FROM (VALUES (1), (2))";
    let rt = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    let batches = rt.block_on(async {
        let df = ctx.sql(sql).await?;
        df.collect().await
    });
    let batches = match batches {
        Ok(b) => b,
        Err(e) => panic!("query failed: {e}"),
    };
    let b = &batches[0];
    let cell = |c: usize, r: usize| array_value_to_string(b.column(c), r).unwrap_or_default();
    assert_eq!(cell(0, 0), "2018-01-02 22:33:44");
    assert_eq!(cell(1, 1), "2021-01-03T17:45:00");
    assert_eq!(cell(2, 0), "true");
    assert_eq!((cell(3, 0), cell(3, 1)), ("a".to_string(), "b".to_string()));
}
