//! ClickHouse's `input_format_allow_errors_num` / `input_format_allow_errors_ratio` for
//! Kafka messages (`kafka_skip_broken_messages` is the default of `_num`).
//!
//! ClickHouse parses each message with one row input format whose counters are reset after
//! every message (`StreamingFormatExecutor` calls `resetParser`), so the limits apply per
//! message, not per block: a broken row is skipped (the format resynchronises at the next
//! line) unless `errors > allow_errors_num && errors / rows > allow_errors_ratio`, where
//! `rows` counts the message's rows read so far, the broken ones included
//! (`IRowInputFormat::read`). With both limits 0 the first broken row fails the block.
//! Checked with ClickHouse 26.9 (chdb) reading a tansu broker: with
//! `kafka_skip_broken_messages = 1` two broken messages in one block are both skipped; a
//! message `{"a":5}\nbad\n{"a":6}\n{"a":7}` gives 5, 6, 7 with
//! `input_format_allow_errors_ratio = 0.5` and fails with `0.3` ("Already have 1 errors
//! out of 2 rows, which is 0.5 of all rows").
//!
//! The same limits apply in the `stream` and `dead_letter_queue` error modes (see
//! [`super`]): only a row beyond them makes the message an `_error` row or a dead letter.
//!
//! Here a message is first parsed whole; only when that fails and a limit is set, the
//! line-based formats ([`Sync::Lines`]) parse it again line by line, counting as
//! ClickHouse does. Formats that cannot skip a row ([`Sync::Never`]) fail whatever the
//! limits; others count a broken message as one broken row of one.

use sluice_common::{Error, Result};

/// How a format gets past a broken row (ClickHouse's `allowSyncAfterError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sync {
    /// A row per line: a broken message is parsed again line by line, after its first
    /// `header_lines` lines (the `WithNames`/`WithNamesAndTypes` header of every message).
    Lines {
        /// Header lines at the start of each message.
        header_lines: usize,
    },
    /// The format cannot skip a broken row (`Values`, binary and columnar formats): a
    /// broken message is the message's error whatever the limits. Checked with chdb 26.9
    /// reading tansu: `Values` with `kafka_skip_broken_messages = 1` fails on `x`.
    Never,
    /// Any other format: a broken message counts as one broken row of one.
    Whole,
}

/// The limits of one table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowErrors {
    /// `input_format_allow_errors_num`.
    pub(crate) num: u64,
    /// `input_format_allow_errors_ratio`.
    pub(crate) ratio: f64,
    /// How the format gets past a broken row.
    pub(crate) sync: Sync,
}

/// One message's counters.
#[derive(Debug, Default)]
pub(crate) struct MessageCount {
    /// Rows read, broken ones included.
    pub(crate) rows: u64,
    /// Broken rows.
    pub(crate) errors: u64,
}

impl RowErrors {
    /// The limits for a format (canonical name) and the settings' values.
    pub(crate) fn new(format: Option<&str>, num: u64, ratio: f64) -> Self {
        let sync = match format {
            Some(
                "JSONEachRow"
                | "JSONLines"
                | "JSONL"
                | "NDJSON"
                | "JSONCompactEachRow"
                | "JSONStringsEachRow"
                | "JSONCompactStringsEachRow"
                | "CSV"
                | "TabSeparated"
                | "TSV"
                | "TabSeparatedRaw"
                | "TSVRaw"
                | "Raw"
                | "JSONAsString",
            ) => Sync::Lines { header_lines: 0 },
            // chdb 26.9 reading tansu: `CSVWithNames` messages `a\n5\ny\n6` give 5, 6 with
            // `kafka_skip_broken_messages = 1`.
            Some("CSVWithNames" | "TabSeparatedWithNames" | "TSVWithNames") => {
                Sync::Lines { header_lines: 1 }
            }
            Some(
                "CSVWithNamesAndTypes" | "TabSeparatedWithNamesAndTypes" | "TSVWithNamesAndTypes",
            ) => Sync::Lines { header_lines: 2 },
            Some(
                "Values"
                | "RowBinary"
                | "RowBinaryWithNames"
                | "RowBinaryWithNamesAndTypes"
                | "Native"
                | "Parquet"
                | "Arrow"
                | "ArrowStream",
            ) => Sync::Never,
            _ => Sync::Whole,
        };
        Self { num, ratio, sync }
    }

    /// Whether any broken row may be skipped.
    pub(crate) fn any(&self) -> bool {
        self.num > 0 || self.ratio > 0.0
    }

    /// Counts a broken row of `count`'s message: `Ok` when it is skipped, otherwise the
    /// error with ClickHouse's "(Already have …)" note.
    pub(crate) fn broken_row(&self, count: &mut MessageCount, e: Error) -> Result<()> {
        count.rows += 1;
        if !self.any() {
            return Err(e);
        }
        count.errors += 1;
        let share = count.errors as f64 / count.rows as f64;
        if count.errors > self.num && share > self.ratio {
            let note = format!(
                "(Already have {} errors out of {} rows, which is {share} of all rows)",
                count.errors, count.rows
            );
            // ClickHouse adds the note before the parser's "(at row N)", N counting the
            // message's rows; a line parsed on its own says "(at row 1)".
            let message = match split_at_row(&e.message) {
                Some((text, tail)) => format!("{text}: {note}: (at row {}){tail}", count.rows),
                None => format!("{}: {note}", e.message),
            };
            return Err(Error::new(e.code, message));
        }
        Ok(())
    }
}

/// `message` without its closing ": (at row N)" and what follows it (blank only): the
/// text before and the blank tail; `None` when it does not end so.
fn split_at_row(message: &str) -> Option<(&str, &str)> {
    const MARK: &str = ": (at row ";
    let at = message.rfind(MARK)?;
    let rest = &message[at + MARK.len()..];
    let close = rest.find(')')?;
    let (digits, tail) = (&rest[..close], &rest[close + 1..]);
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && tail.bytes().all(|b| b.is_ascii_whitespace()))
    .then_some((&message[..at], tail))
}

/// The lines of `payload` that hold a row: `(start, end)` byte ranges, blank lines left out.
pub(crate) fn row_lines(payload: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in payload.iter().enumerate() {
        if b == b'\n' {
            push_line(payload, start, i, &mut out);
            start = i + 1;
        }
    }
    push_line(payload, start, payload.len(), &mut out);
    out
}

fn push_line(payload: &[u8], start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let end = if end > start && payload[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    if payload[start..end].iter().any(|b| !b.is_ascii_whitespace()) {
        out.push((start, end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_as_clickhouse() {
        let e = || Error::new(sluice_common::ErrorCode::INCORRECT_DATA, "bad".to_string());
        // ratio 0.5: a broken second row of two is 0.5, not above it.
        let r = RowErrors::new(Some("JSONEachRow"), 0, 0.5);
        let mut c = MessageCount { rows: 1, errors: 0 };
        assert!(r.broken_row(&mut c, e()).is_ok());
        // The first row of a message broken: 1 of 1.
        let mut c = MessageCount::default();
        let err = r.broken_row(&mut c, e()).unwrap_err();
        assert_eq!(
            err.message,
            "bad: (Already have 1 errors out of 1 rows, which is 1 of all rows)"
        );
        // num 1: the second broken row of three fails (2 > 1 and 0.67 > 0).
        let r = RowErrors::new(Some("JSONEachRow"), 1, 0.0);
        let mut c = MessageCount { rows: 1, errors: 0 };
        assert!(r.broken_row(&mut c, e()).is_ok());
        let err = r.broken_row(&mut c, e()).unwrap_err();
        assert!(err.message.ends_with(
            "(Already have 2 errors out of 3 rows, which is 0.6666666666666666 of all rows)"
        ));
        // No limits: no note.
        let r = RowErrors::new(Some("JSONEachRow"), 0, 0.0);
        let err = r.broken_row(&mut MessageCount::default(), e()).unwrap_err();
        assert_eq!(err.message, "bad");
        // The note goes before the parser's "(at row N)", N being the message's row.
        let r = RowErrors::new(Some("JSONEachRow"), 0, 0.3);
        let at = |tail: &str| {
            Error::new(
                sluice_common::ErrorCode::INCORRECT_DATA,
                format!("Cannot parse input: expected '{{' before: 'bad': (at row 1){tail}"),
            )
        };
        let mut c = MessageCount { rows: 1, errors: 0 };
        assert_eq!(
            r.broken_row(&mut c, at("\n")).unwrap_err().message,
            "Cannot parse input: expected '{' before: 'bad': (Already have 1 errors out of 2 rows, which is 0.5 of all rows): (at row 2)\n"
        );
        let mut c = MessageCount::default();
        assert_eq!(
            r.broken_row(&mut c, at("")).unwrap_err().message,
            "Cannot parse input: expected '{' before: 'bad': (Already have 1 errors out of 1 rows, which is 1 of all rows): (at row 1)"
        );
        assert_eq!(split_at_row("x: (at row 12) y"), None);
        assert_eq!(split_at_row("x: (at row )"), None);
    }

    #[test]
    fn lines() {
        assert_eq!(
            row_lines(b"a\n\n b\r\n  \nc"),
            vec![(0, 1), (3, 5), (10, 11)]
        );
        assert!(row_lines(b"").is_empty());
    }
}
