//! Fuzz target: Native Data blocks, uncompressed or in LZ4/ZSTD/NONE compression frames (checksums verified or not), at a revision chosen by the first byte.
//! The server must answer any input with a ClickHouse error, never a panic, a hang or a
//! huge allocation.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sluice_server::fuzzing::data_block(data);
});
