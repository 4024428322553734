//! Fuzz target: Native client packets after the handshake (Query with ClientInfo and settings, Data blocks, Ping, Cancel), or a Hello and addendum, at a revision chosen by the first byte.
//! The server must answer any input with a ClickHouse error, never a panic, a hang or a
//! huge allocation.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sluice_server::fuzzing::client_packets(data);
});
