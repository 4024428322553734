//! URL parameters of an HTTP query request, sorted into ClickHouse's reserved parameters,
//! query parameters (`param_<name>`) and settings (everything else).

use sluice_common::{Error, ErrorCode};

/// The parsed URL parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestParams {
    /// `query`.
    pub query: Option<String>,
    /// `database`.
    pub database: Option<String>,
    /// `default_format`.
    pub default_format: Option<String>,
    /// `query_id`.
    pub query_id: Option<String>,
    /// `session_id`.
    pub session_id: Option<String>,
    /// `session_timeout` (seconds, as given).
    pub session_timeout: Option<String>,
    /// `session_check=1`: the session must exist.
    pub session_check: bool,
    /// `close_session=1`.
    pub close_session: bool,
    /// `compress=1`: wrap the response in ClickHouse compression frames.
    pub compress: bool,
    /// `decompress=1`: the request body is in ClickHouse compression frames.
    pub decompress: bool,
    /// `user`.
    pub user: Option<String>,
    /// `password`.
    pub password: Option<String>,
    /// `quota_key`.
    pub quota_key: Option<String>,
    /// `wait_end_of_query=1`.
    pub wait_end_of_query: bool,
    /// `buffer_size`: bytes of output held back before headers are sent.
    pub buffer_size: Option<usize>,
    /// `client_protocol_version` (Native format revision; 0 = no BlockInfo).
    pub client_protocol_version: u64,
    /// `param_<name>` values, names without the prefix.
    pub params: Vec<(String, String)>,
    /// Every other parameter: a setting.
    pub settings: Vec<(String, String)>,
}

/// Decodes one name or value of a query string as ClickHouse's `HTMLForm` does: `+` is a
/// space, `%XY` a byte, and a `%` without two hex digits after it is Poco's URI syntax error
/// (`POCO_EXCEPTION`, HTTP 500). Bytes that are not UTF-8 are replaced.
fn decode_component(raw: &str) -> Result<String, Error> {
    if !raw.contains(['%', '+']) {
        return Ok(raw.to_string());
    }
    let syntax = |what: &str| {
        Error::new(
            ErrorCode::POCO_EXCEPTION,
            format!("Syntax error: URI encoding: {what}"),
        )
    };
    let hex = |b: u8| match b {
        b'0'..=b'9' => Ok(b - b'0'),
        b'a'..=b'f' => Ok(b - b'a' + 10),
        b'A'..=b'F' => Ok(b - b'A' + 10),
        _ => Err(syntax("not a hex digit")),
    };
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let (Some(&hi), Some(&lo)) = (bytes.get(i + 1), bytes.get(i + 2)) else {
                    return Err(syntax(if i + 1 == bytes.len() {
                        "no hex digit following percent sign"
                    } else {
                        "two hex digits must follow percent sign"
                    }));
                };
                out.push(hex(hi)? * 16 + hex(lo)?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn flag(value: &str) -> bool {
    matches!(value.trim(), "1" | "true" | "True" | "TRUE")
}

impl RequestParams {
    /// Parses a URL query string (`a=1&b=2`, percent-encoded).
    pub fn parse(query_string: &str) -> Result<Self, Error> {
        let mut p = RequestParams::default();
        for pair in query_string.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (decode_component(key)?, decode_component(value)?);
            match key.as_str() {
                "" => {}
                "query" => p.query = Some(value),
                "database" => p.database = Some(value),
                "default_format" => p.default_format = Some(value),
                "query_id" => p.query_id = Some(value),
                "session_id" => p.session_id = Some(value),
                "session_timeout" => p.session_timeout = Some(value),
                "session_check" => p.session_check = flag(&value),
                "close_session" => p.close_session = flag(&value),
                "compress" => p.compress = flag(&value),
                "decompress" => p.decompress = flag(&value),
                "user" => p.user = Some(value),
                "password" => p.password = Some(value),
                "quota_key" => p.quota_key = Some(value),
                "wait_end_of_query" => p.wait_end_of_query = flag(&value),
                "buffer_size" => {
                    p.buffer_size = Some(value.trim().parse().map_err(|_| {
                        Error::new(
                            ErrorCode::CANNOT_PARSE_NUMBER,
                            format!("Cannot parse buffer_size: '{value}'"),
                        )
                    })?)
                }
                "client_protocol_version" => {
                    p.client_protocol_version = value.trim().parse().map_err(|_| {
                        Error::new(
                            ErrorCode::CANNOT_PARSE_NUMBER,
                            format!("Cannot parse client_protocol_version: '{value}'"),
                        )
                    })?
                }
                // Reserved by ClickHouse, not settings.
                "stacktrace" | "role" | "with_stacktrace" => {}
                _ => {
                    if let Some(name) = key.strip_prefix("param_") {
                        p.params.push((name.to_string(), value));
                    } else {
                        p.settings.push((key, value));
                    }
                }
            }
        }
        Ok(p)
    }

    /// The last value of setting `name`, if given.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether boolean setting `name` is given and true.
    pub fn setting_flag(&self, name: &str) -> bool {
        self.setting(name).is_some_and(flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parameters() {
        let p = RequestParams::parse(
            "query=SELECT%20%7Bx%3AUInt8%7D&database=db&param_x=5&max_threads=2&compress=1\
             &session_id=s1&session_timeout=30&enable_http_compression=1&user=u&password=p\
             &default_format=JSON&query_id=q&wait_end_of_query=1&role=r&client_protocol_version=54405",
        )
        .expect("parse");
        assert_eq!(p.query.as_deref(), Some("SELECT {x:UInt8}"));
        assert_eq!(p.database.as_deref(), Some("db"));
        assert_eq!(p.params, vec![("x".to_string(), "5".to_string())]);
        assert_eq!(
            p.settings,
            vec![
                ("max_threads".to_string(), "2".to_string()),
                ("enable_http_compression".to_string(), "1".to_string())
            ]
        );
        assert!(p.compress && !p.decompress && p.wait_end_of_query);
        assert_eq!(p.session_id.as_deref(), Some("s1"));
        assert_eq!(p.user.as_deref(), Some("u"));
        assert_eq!(p.default_format.as_deref(), Some("JSON"));
        assert_eq!(p.client_protocol_version, 54405);
        assert!(p.setting_flag("enable_http_compression"));
        assert!(!p.setting_flag("send_progress_in_http_headers"));
    }

    #[test]
    fn bad_numbers_are_errors() {
        let e = RequestParams::parse("buffer_size=abc").expect_err("error");
        assert_eq!(e.code, ErrorCode::CANNOT_PARSE_NUMBER);
        assert!(RequestParams::parse("=x&&a&b=").is_ok());
        for bad in ["%ZZ=1", "a=%%", "a=%4", "a=%", "q=%G0"] {
            let e = RequestParams::parse(bad).expect_err(bad);
            assert_eq!(e.code, ErrorCode::POCO_EXCEPTION, "{bad}");
            assert!(e.message.contains("URI encoding"), "{bad}");
        }
        let p = RequestParams::parse("param_x=a+b%2B%00%e2%82%ac").expect("parse");
        assert_eq!(p.params, vec![("x".to_string(), "a b+\0€".to_string())]);
    }
}
