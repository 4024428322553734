//! Splitting a `JSONAsString` payload into its top-level objects, as ClickHouse's
//! `JSONAsStringRowInputFormat` does: objects separated by whitespace or commas, optionally
//! inside one `[…]`, each delimited by balancing braces outside strings (the content is not
//! validated; the JSON functions do that when they read it).
//!
//! Finding where an object ends walks every string of the document, so it runs on every
//! message of a pipeline: `sluice_simd::object_end` does it 64 bytes at a time with AVX2
//! (eight at a time with word masks on other CPUs). Jumping between interesting bytes with
//! `memchr` was about 3x slower than even the word scan on a Debezium event, whose many
//! short strings made each jump pay `memchr`'s set-up cost.

use sluice_common::{Error, Result};

/// Top-level JSON objects of a `JSONAsString` payload, found as ClickHouse's
/// `JSONAsStringRowInputFormat` finds them: objects separated by whitespace or commas,
/// optionally inside one `[…]`, delimited by balancing braces outside strings (the
/// object's content is not validated).
pub(crate) fn json_objects(payload: &[u8], mut row: impl FnMut(usize, usize)) -> Result<()> {
    let incorrect = |msg: &str, row: usize| {
        Error::new(
            sluice_common::ErrorCode::INCORRECT_DATA,
            format!("{msg}: (at row {row})\n"),
        )
    };
    let skip_ws = |mut i: usize| {
        while i < payload.len() && payload[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut rows = 0usize;
    let mut i = skip_ws(0);
    let in_array = payload.get(i) == Some(&b'[');
    if in_array {
        i += 1;
    }
    loop {
        while i < payload.len() && (payload[i].is_ascii_whitespace() || payload[i] == b',') {
            i += 1;
        }
        if i >= payload.len() {
            return Ok(());
        }
        if in_array && payload[i] == b']' {
            i = skip_ws(i + 1);
            if i < payload.len() {
                return Err(incorrect("JSON object must begin with '{'", rows + 1));
            }
            return Ok(());
        }
        if payload[i] != b'{' {
            return Err(incorrect("JSON object must begin with '{'", rows + 1));
        }
        let Some(end) = object_end(payload, i) else {
            return Err(incorrect(
                "Unexpected end of file while parsing JSON object",
                rows + 1,
            ));
        };
        row(i, end);
        rows += 1;
        i = end;
    }
}

/// The end (exclusive) of the JSON object starting at `payload[start] == b'{'`: braces
/// balanced outside strings. `None` when the payload ends first.
pub(crate) fn object_end(payload: &[u8], start: usize) -> Option<usize> {
    sluice_simd::object_end::object_end(payload, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(payload: &[u8]) -> Result<Vec<&[u8]>> {
        let mut out = Vec::new();
        json_objects(payload, |s, e| out.push(&payload[s..e]))?;
        Ok(out)
    }

    #[test]
    fn debezium_event_with_escapes() {
        let first = br#"{"payload":{"after":{"id":1,"s":"a}\"{"},"seq":"[null,\"1\"]","op":"c"}}"#;
        let mut doc = first.to_vec();
        doc.extend_from_slice(br#" {"x":1}"#);
        assert_eq!(object_end(&doc, 0), Some(first.len()));
        let found = rows(&doc).ok();
        assert_eq!(found, Some(vec![&first[..], &br#"{"x":1}"#[..]]));
    }

    #[test]
    fn objects_separated_by_commas_whitespace_or_in_an_array() {
        let long = format!(r#"{{"k":"{}"}}"#, "}".repeat(100));
        for sep in [",", "\n", " , ", ""] {
            let doc = format!("{long}{sep}{{\"a\":1}}{sep}{long}");
            let found = rows(doc.as_bytes()).ok();
            let want: Vec<&[u8]> = vec![long.as_bytes(), br#"{"a":1}"#, long.as_bytes()];
            assert_eq!(found, Some(want), "{sep:?}");
            let array = format!("[{long},{{\"a\":1}}]");
            assert_eq!(rows(array.as_bytes()).ok().map(|r| r.len()), Some(2));
        }
        assert!(rows(br#"{"a":1} x"#).is_err());
        assert!(rows(br#"{"a":"}"#).is_err());
    }
}
