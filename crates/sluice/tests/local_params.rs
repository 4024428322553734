//! `sluice local --param_<name>=<value>` (and `--param_<name> <value>`), as
//! clickhouse-local takes query parameters. The oracle (chdb) has no `--param_` option:
//! each expected output comes from `/work/shared/tools/ch-oracle` running the same SQL
//! after `SET param_<name> = <value>`, which binds the same placeholders in ClickHouse.

use std::process::{Command, Output};

fn local(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("local")
        .args(args)
        .output();
    match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run sluice local: {e}"),
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn param_options_bind_placeholders() {
    // Oracle: SET param_x = 5; SET param_s = 'a b'; SELECT …
    let o = local(&[
        "--param_x=5",
        "--param_s",
        "a b",
        "-q",
        "SELECT {x:UInt8} + 1, toTypeName({x:UInt8}), {s:String}, length({s:String})",
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "6\tUInt8\ta b\t3\n");
}

#[test]
fn params_bind_in_insert_values_and_mutations() {
    // Oracle: SET param_x = 3; then the same statements.
    let o = local(&[
        "--param_x=3",
        "-q",
        "CREATE TABLE t (k UInt8, v String) ENGINE = MergeTree ORDER BY k; \
         INSERT INTO t VALUES ({x:UInt8}, 'three'), (4, 'four'); \
         ALTER TABLE t DELETE WHERE k = {x:UInt8} SETTINGS mutations_sync = 1; \
         SELECT * FROM t",
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "4\tfour\n");
}

#[test]
fn missing_param_is_unknown_query_parameter() {
    // Oracle: SELECT {x:UInt8} → Code: 456 … Substitution `x` is not set.
    let o = local(&["-q", "SELECT {x:UInt8}"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("Code: 456.") && err.contains("Substitution `x` is not set"),
        "stderr: {err}"
    );
}

#[test]
fn placeholder_in_create_view_makes_a_parameterized_view() {
    // Oracle: SET param_x = 1; CREATE VIEW v AS SELECT {x:UInt8} + 1 AS a;
    // SELECT * FROM v(x = 5) -> 6 (the view keeps its placeholder; the call binds it).
    let o = local(&[
        "--param_x=1",
        "-q",
        "CREATE VIEW v AS SELECT {x:UInt8} + 1 AS a; SELECT * FROM v(x = 5)",
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "6\n");
}

#[test]
fn identifier_param_names_a_column() {
    // Oracle: SET param_c = 'number'; SELECT {c:Identifier} FROM numbers(2) FORMAT TSVWithNames
    let o = local(&[
        "--param_c=number",
        "-q",
        "SELECT {c:Identifier} FROM numbers(2) FORMAT TSVWithNames",
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "number\n0\n1\n");
}
