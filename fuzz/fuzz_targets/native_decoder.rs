//! Fuzzes the native-protocol decoders of `sluice-server`: client Hello, Query packets at
//! several revisions, native blocks, and compression frames. None may panic or allocate
//! beyond the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_server::native::block::decode_block;
use sluice_server::native::compression::decode_frame;
use sluice_server::native::handshake::parse_client_hello;
use sluice_server::native::packets::parse_query;
use sluice_server::native::wire::WireReader;

fuzz_target!(|data: &[u8]| {
    let _ = parse_client_hello(&mut WireReader::new(data));
    for n in [54412u64, 54453, 54460] {
        let _ = parse_query(&mut WireReader::new(data), n);
        let _ = decode_block(data, n);
    }
    let _ = decode_block(data, 0);
    let mut out = Vec::new();
    let _ = decode_frame(data, &mut out, false);
});
