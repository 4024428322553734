//! Fuzz target: An HTTP request head: the URL query string (first line) and headers (further lines), parsed into parameters, settings, credentials, session timeout and codings.
//! The server must answer any input with a ClickHouse error, never a panic, a hang or a
//! huge allocation.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sluice_server::fuzzing::http_request(data);
});
