//! Fuzz target: `sluice_sql::parse_statements` on arbitrary UTF-8 must never panic, and
//! every statement it returns must print with the helpers without panicking.
//! Run with `cargo +nightly fuzz run parse_sql` from `fuzz/`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(statements) = sluice_sql::parse_statements(sql) {
        for parsed in statements {
            if let sluice_sql::Statement::CreateTable(table) = &parsed.statement {
                let _ = sluice_sql::show_create_table(table, "default");
            }
        }
    }
});
