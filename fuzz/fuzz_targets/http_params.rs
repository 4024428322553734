//! Fuzzes HTTP URL parameter parsing of `sluice-server` (reserved parameters, `param_*`,
//! settings, numbers) and `session_timeout` parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_server::http::params::RequestParams;
use sluice_server::http::sessions::parse_timeout;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = RequestParams::parse(&text) {
        let _ = parse_timeout(p.session_timeout.as_deref(), 60, 3600);
        let _ = p.setting("max_threads");
    }
});
