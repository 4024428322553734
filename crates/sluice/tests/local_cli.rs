//! `sluice local` behaves like `clickhouse-local` (issue 2, point 3): `-q`/`--query`, SQL
//! from stdin, several statements, `--format`/`-f` with the query's `FORMAT` clause winning,
//! `--path` for state that outlives the process, and errors as
//! `Code: N. DB::Exception: … (NAME)` on stderr with a non-zero exit, the output of the
//! statements before the failing one staying printed. Expected outputs come from
//! `/work/shared/tools/ch-oracle` running the same SQL (noted at each assertion).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn local(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = match Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("local")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot run sluice local: {e}"),
    };
    // Without input the pipe is closed at once (the tuple is dropped here).
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("sluice local output")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn query_option_short_and_long() {
    // Oracle: SELECT 1 + 2, toTypeName(1 + 2) → 3	UInt16
    for flag in ["-q", "--query"] {
        let o = local(&[flag, "SELECT 1 + 2, toTypeName(1 + 2)"], None);
        assert!(o.status.success(), "stderr: {}", stderr(&o));
        assert_eq!(stdout(&o), "3\tUInt16\n");
    }
}

#[test]
fn statements_from_stdin_run_in_order() {
    // Oracle: SELECT 1; SELECT 2 → 1, 2
    let o = local(&[], Some("SELECT 1;\nSELECT 2;\n"));
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "1\n2\n");
}

#[test]
fn format_option_and_format_clause() {
    // Oracle (-f CSV): SELECT 7 / 2, 'a' → 3.5,"a"
    let o = local(&["-f", "CSV", "-q", "SELECT 7 / 2, 'a'"], None);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "3.5,\"a\"\n");
    let o = local(&["--format", "CSV", "-q", "SELECT 7 / 2, 'a'"], None);
    assert_eq!(stdout(&o), "3.5,\"a\"\n");
    // The query's FORMAT clause wins. Oracle (-f JSONEachRow): SELECT 1 AS x FORMAT TSV → 1
    let o = local(
        &["-f", "JSONEachRow", "-q", "SELECT 1 AS x FORMAT TSV"],
        None,
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "1\n");
}

#[test]
fn errors_keep_earlier_output_and_exit_non_zero() {
    // A syntax error in the second statement: the first one's output (oracle: 1) stays
    // printed, the third never runs.
    let o = local(&["-q", "SELECT 1; SELEC 2; SELECT 3"], None);
    assert!(!o.status.success());
    assert_eq!(stdout(&o), "1\n");
    let err = stderr(&o);
    assert!(
        err.starts_with("Code: 62. DB::Exception: ") && err.trim_end().ends_with("(SYNTAX_ERROR)"),
        "stderr: {err}"
    );
    // A run-time error (oracle: code 395, FUNCTION_THROW_IF_VALUE_IS_NON_ZERO).
    let o = local(&["-q", "SELECT 1; SELECT throwIf(1); SELECT 3"], None);
    assert!(!o.status.success());
    assert_eq!(stdout(&o), "1\n");
    let err = stderr(&o);
    assert!(
        err.starts_with("Code: 395. DB::Exception: ")
            && err
                .trim_end()
                .ends_with("(FUNCTION_THROW_IF_VALUE_IS_NON_ZERO)"),
        "stderr: {err}"
    );
}

#[test]
fn path_keeps_state_between_processes() {
    let dir = std::env::temp_dir().join(format!("sluice-local-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.to_string_lossy().into_owned();
    let o = local(
        &[
            "--path",
            &path,
            "-q",
            "CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x; INSERT INTO t VALUES (1), (2)",
        ],
        None,
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    // Oracle (--path kept between calls): SELECT sum(x), count() FROM t → 3	2
    let o = local(
        &["--path", &path, "-q", "SELECT sum(x), count() FROM t"],
        None,
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "3\t2\n");
    let _ = std::fs::remove_dir_all(&dir);
    // Without --path the table lives only for the process: UNKNOWN_TABLE (60) next time.
    let o = local(&["-q", "CREATE TABLE m (x UInt8) ENGINE = Memory"], None);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let o = local(&["-q", "SELECT * FROM m"], None);
    assert!(!o.status.success());
    assert!(
        stderr(&o).starts_with("Code: 60. DB::Exception: "),
        "stderr: {}",
        stderr(&o)
    );
}
