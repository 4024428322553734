//! The HTTP interface driven by the `curl` binary against a `sluice server` process
//! (issue 5, point 7: "curl for the HTTP features above"). Query results are ClickHouse's
//! (ch-oracle, noted at each check); headers, status codes and error codes follow
//! ClickHouse's HTTP handler (`../shared/reference/clickhouse-protocols.md`).
//!
//! Without `curl` the test skips, unless `SLUICE_REQUIRE_CLIENTS=1` (CI), where it fails.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Ports, terminate, wait_ready};

/// Runs curl with `args`, optional stdin; returns (headers, body).
fn curl(args: &[&str], stdin: Option<&[u8]>) -> (String, Vec<u8>) {
    let mut child = Command::new("curl")
        .args(["-s", "-S", "-D", "/dev/stderr"])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run curl");
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data).expect("curl stdin");
    }
    let out = child.wait_with_output().expect("curl output");
    assert!(out.status.success(), "curl {args:?} failed");
    (
        String::from_utf8_lossy(&out.stderr).replace('\r', ""),
        out.stdout,
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run gzip");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(data).expect("gzip stdin");
    }
    child.wait_with_output().expect("gzip output").stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_http_interface() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(
            std::env::var("SLUICE_REQUIRE_CLIENTS").as_deref() != Ok("1"),
            "curl is required (SLUICE_REQUIRE_CLIENTS=1)"
        );
        eprintln!("skipped: no curl");
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("data");
    let config = dir.with_extension("toml");
    std::fs::write(
        &config,
        "[users.default]\n\n[users.bob]\npassword = \"secret\"\n",
    )
    .expect("config");
    let ports = Ports::free();
    let mut server = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["server", "--config"])
        .arg(&config)
        .arg("--path")
        .arg(&dir)
        .args(["--http-port", &ports.http.to_string()])
        .args(["--tcp-port", &ports.tcp.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sluice server");
    let http = reqwest::Client::new();
    assert!(
        wait_ready(&http, &ports, &mut server).await,
        "server did not start"
    );
    let base = format!("http://127.0.0.1:{}", ports.http);
    let url = |q: &str| format!("{base}/?{q}");

    // GET with the query in the URL. Oracle: `SELECT 1 + 2` -> 3.
    let (h, body) = curl(&[&url("query=SELECT%201%20%2B%202")], None);
    assert_eq!(text(&body), "3\n");
    assert_eq!(header(&h, "X-ClickHouse-Format"), Some("TabSeparated"));
    assert_eq!(header(&h, "X-ClickHouse-Timezone"), Some("UTC"));
    assert!(header(&h, "X-ClickHouse-Server-Display-Name").is_some());
    assert!(
        header(&h, "X-ClickHouse-Summary").is_some_and(|s| s.contains("\"result_rows\":\"1\""))
    );

    // POST with the query in the body; FORMAT clause. Oracle output.
    let (_, body) = curl(
        &[
            "--data-binary",
            "SELECT number, toString(number) AS s FROM numbers(3) FORMAT JSONEachRow",
            &format!("{base}/"),
        ],
        None,
    );
    assert_eq!(
        text(&body),
        "{\"number\":0,\"s\":\"0\"}\n{\"number\":1,\"s\":\"1\"}\n{\"number\":2,\"s\":\"2\"}\n"
    );

    // INSERT: the query in the URL, the data in the body (plain, then gzip-encoded).
    curl(
        &[
            "--data-binary",
            "CREATE TABLE t (n UInt32, s String) ENGINE = MergeTree ORDER BY n",
            &format!("{base}/"),
        ],
        None,
    );
    curl(
        &[
            "--data-binary",
            "@-",
            &url("query=INSERT%20INTO%20t%20FORMAT%20CSV"),
        ],
        Some(b"1,a\n"),
    );
    curl(
        &[
            "--data-binary",
            "@-",
            "-H",
            "Content-Encoding: gzip",
            &url("query=INSERT%20INTO%20t%20FORMAT%20CSV"),
        ],
        Some(&gzip(b"2,b\n")),
    );
    // Oracle: count(), sum(n), groupArray(s) of (1,'a'),(2,'b') -> 2 3 ['a','b'].
    let (_, body) = curl(
        &[&url(
            "query=SELECT%20count()%2C%20sum(n)%2C%20groupArray(s)%20FROM%20(SELECT%20*%20FROM%20t%20ORDER%20BY%20n)",
        )],
        None,
    );
    assert_eq!(text(&body), "2\t3\t['a','b']\n");

    // database, default_format, query_id. Oracle (-f CSV): `SELECT 'a', 1` -> "a",1.
    let (h, body) = curl(
        &[&url(
            "database=default&default_format=CSV&query_id=curl-1&query=SELECT%20'a'%2C%201",
        )],
        None,
    );
    assert_eq!(text(&body), "\"a\",1\n");
    assert_eq!(header(&h, "X-ClickHouse-Query-Id"), Some("curl-1"));
    assert_eq!(header(&h, "X-ClickHouse-Format"), Some("CSV"));

    // A setting as a URL parameter, and SET lasting in a session. Oracle:
    // `SELECT toUInt64(5) AS v FORMAT JSONEachRow` -> {"v":5}; with
    // output_format_json_quote_64bit_integers = 1 -> {"v":"5"}.
    let q = "query=SELECT%20toUInt64(5)%20AS%20v%20FORMAT%20JSONEachRow";
    assert_eq!(text(&curl(&[&url(q)], None).1), "{\"v\":5}\n");
    assert_eq!(
        text(
            &curl(
                &[&url(&format!(
                    "output_format_json_quote_64bit_integers=1&{q}"
                ))],
                None
            )
            .1
        ),
        "{\"v\":\"5\"}\n"
    );
    curl(
        &[&url(
            "session_id=curl-s&query=SET%20output_format_json_quote_64bit_integers%20%3D%201",
        )],
        None,
    );
    assert_eq!(
        text(&curl(&[&url(&format!("session_id=curl-s&{q}"))], None).1),
        "{\"v\":\"5\"}\n"
    );

    // Query parameters. Oracle: `SELECT toUInt32(21) * 2` -> 42.
    let (_, body) = curl(
        &[&url("param_x=21&query=SELECT%20%7Bx%3AUInt32%7D%20*%202")],
        None,
    );
    assert_eq!(text(&body), "42\n");
    // A String parameter with a quote. Oracle: `SELECT 'it\'s', length('it\'s')` -> it\'s 4.
    let (_, body) = curl(
        &[&url(
            "param_s=it%27s&query=SELECT%20%7Bs%3AString%7D%2C%20length(%7Bs%3AString%7D)",
        )],
        None,
    );
    assert_eq!(text(&body), "it\\'s\t4\n");
    // A placeholder without its parameter: UNKNOWN_QUERY_PARAMETER (456), as the oracle.
    let (h, _) = curl(&[&url("query=SELECT%20%7By%3AUInt8%7D")], None);
    assert_eq!(header(&h, "X-ClickHouse-Exception-Code"), Some("456"));

    // Compressed response (enable_http_compression + Accept-Encoding).
    let (h, body) = curl(
        &[
            "--compressed",
            &url("enable_http_compression=1&query=SELECT%201%20%2B%202"),
        ],
        None,
    );
    assert_eq!(header(&h, "Content-Encoding"), Some("gzip"));
    assert_eq!(text(&body), "3\n");

    // Authentication: basic auth, X-ClickHouse-User/Key headers, user/password parameters.
    for auth in [
        vec!["-u", "bob:secret"],
        vec![
            "-H",
            "X-ClickHouse-User: bob",
            "-H",
            "X-ClickHouse-Key: secret",
        ],
    ] {
        let mut args = auth.clone();
        let u = url("query=SELECT%201");
        args.push(&u);
        assert_eq!(text(&curl(&args, None).1), "1\n", "{auth:?}");
    }
    assert_eq!(
        text(&curl(&[&url("user=bob&password=secret&query=SELECT%201")], None).1),
        "1\n"
    );
    let (h, body) = curl(&["-u", "bob:wrong", &url("query=SELECT%201")], None);
    assert_eq!(header(&h, "X-ClickHouse-Exception-Code"), Some("516"));
    assert!(h.starts_with("HTTP/1.1 403"), "{h}");
    assert!(text(&body).contains("(AUTHENTICATION_FAILED)"));

    // Health endpoints.
    for path in ["/ping", "/", "/replicas_status"] {
        let (_, body) = curl(&[&format!("{base}{path}")], None);
        assert_eq!(text(&body), "Ok.\n", "{path}");
    }

    // Errors: ClickHouse's status and code header, `Code: N. DB::Exception: … (NAME)`.
    let (h, body) = curl(&[&url("query=SELECT%20*%20FROM%20nonexistent_tbl")], None);
    assert!(h.starts_with("HTTP/1.1 404"), "{h}");
    assert_eq!(header(&h, "X-ClickHouse-Exception-Code"), Some("60"));
    let body = text(&body);
    assert!(
        body.starts_with("Code: 60. DB::Exception: ") && body.contains("(UNKNOWN_TABLE)"),
        "{body}"
    );
    let (h, _) = curl(&[&url("query=SELEC%201")], None);
    assert_eq!(header(&h, "X-ClickHouse-Exception-Code"), Some("62"));

    assert!(terminate(&mut server, Duration::from_secs(30)));
}
