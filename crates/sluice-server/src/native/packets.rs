//! Native protocol packets other than Hello and blocks: the client's Query (with ClientInfo,
//! settings and parameters), and the server's Exception, Progress, ProfileInfo, TableColumns,
//! ProfileEvents, Pong and EndOfStream.

use sluice_common::{Error, ErrorCode};

use crate::errors::display_text;
use crate::handler::{InsertTarget, TableColumn};
use crate::native::handshake::rev;
use crate::native::wire::{DecodeError, DecodeResult, WireReader, WireWrite};
use crate::progress::ProgressValues;

/// Client packet types.
pub mod client {
    /// Hello.
    pub const HELLO: u64 = 0;
    /// Query.
    pub const QUERY: u64 = 1;
    /// Data block.
    pub const DATA: u64 = 2;
    /// Cancel the running query.
    pub const CANCEL: u64 = 3;
    /// Ping.
    pub const PING: u64 = 4;
    /// Tables status request (replicas).
    pub const TABLES_STATUS_REQUEST: u64 = 5;
    /// Keep-alive.
    pub const KEEP_ALIVE: u64 = 6;
}

/// Server packet types.
pub mod server {
    /// Hello.
    pub const HELLO: u64 = 0;
    /// Data block.
    pub const DATA: u64 = 1;
    /// Exception.
    pub const EXCEPTION: u64 = 2;
    /// Progress.
    pub const PROGRESS: u64 = 3;
    /// Pong.
    pub const PONG: u64 = 4;
    /// End of stream.
    pub const END_OF_STREAM: u64 = 5;
    /// Profile info.
    pub const PROFILE_INFO: u64 = 6;
    /// Totals block.
    pub const TOTALS: u64 = 7;
    /// Extremes block.
    pub const EXTREMES: u64 = 8;
    /// Table columns description.
    pub const TABLE_COLUMNS: u64 = 11;
    /// Profile events block.
    pub const PROFILE_EVENTS: u64 = 14;
}

/// Settings flag: the value is a custom setting / Field dump.
const SETTING_FLAG_CUSTOM: u64 = 0x02;

/// The parts of ClientInfo the server uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryClientInfo {
    /// 0 none, 1 initial, 2 secondary.
    pub query_kind: u8,
    /// Client program name.
    pub client_name: String,
    /// Client's own revision.
    pub client_revision: u64,
    /// Quota key.
    pub quota_key: String,
    /// OS user of the client.
    pub os_user: String,
    /// Client host name.
    pub client_hostname: String,
}

/// A parsed Query packet (the type byte already consumed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryPacket {
    /// Query id ("" = server generates one).
    pub query_id: String,
    /// ClientInfo.
    pub client_info: QueryClientInfo,
    /// Settings, in order.
    pub settings: Vec<(String, String)>,
    /// Processing stage (2 = complete).
    pub stage: u64,
    /// Whether Data blocks are in compression frames, both ways.
    pub compression: bool,
    /// SQL text (INSERT without its data).
    pub sql: String,
    /// Query parameters (unquoted).
    pub params: Vec<(String, String)>,
}

/// Parses a Query packet body for negotiated revision `n`.
pub fn parse_query(r: &mut WireReader<'_>, n: u64) -> DecodeResult<QueryPacket> {
    let query_id = r.string()?;
    let client_info = if n >= rev::CLIENT_INFO {
        parse_client_info(r, n)?
    } else {
        QueryClientInfo::default()
    };
    let settings = if n >= rev::SETTINGS_SERIALIZED_AS_STRINGS {
        parse_settings_with_flags(r)?
    } else {
        parse_settings_binary(r)?
    };
    if n >= rev::INTERSERVER_SECRET {
        r.string_bytes()?;
    }
    let stage = r.varint()?;
    let compression = r.varint()? != 0;
    let sql = r.string()?;
    let params = if n >= rev::PARAMETERS {
        parse_settings_with_flags(r)?
    } else {
        Vec::new()
    };
    Ok(QueryPacket {
        query_id,
        client_info,
        settings,
        stage,
        compression,
        sql,
        params,
    })
}

fn parse_client_info(r: &mut WireReader<'_>, n: u64) -> DecodeResult<QueryClientInfo> {
    let mut info = QueryClientInfo {
        query_kind: r.u8()?,
        ..Default::default()
    };
    if info.query_kind == 0 {
        return Ok(info);
    }
    r.string_bytes()?; // initial_user
    r.string_bytes()?; // initial_query_id
    r.string_bytes()?; // initial_address
    if n >= rev::INITIAL_QUERY_START_TIME {
        r.u64_le()?;
    }
    let interface = r.u8()?;
    match interface {
        1 => {
            info.os_user = r.string()?;
            info.client_hostname = r.string()?;
            info.client_name = r.string()?;
            r.varint()?; // major
            r.varint()?; // minor
            info.client_revision = r.varint()?;
        }
        2 => {
            r.u8()?; // http method
            info.client_name = r.string()?; // user agent
            if n >= 54443 {
                r.string_bytes()?; // forwarded_for
            }
            if n >= 54447 {
                r.string_bytes()?; // referer
            }
        }
        other => {
            return Err(DecodeError::Invalid(Error::new(
                ErrorCode::UNKNOWN_PACKET_FROM_CLIENT,
                format!("Unknown interface {other} in ClientInfo"),
            )));
        }
    }
    if n >= rev::QUOTA_KEY_IN_CLIENT_INFO {
        info.quota_key = r.string()?;
    }
    if n >= rev::DISTRIBUTED_DEPTH {
        r.varint()?;
    }
    if interface == 1 && n >= rev::VERSION_PATCH {
        r.varint()?;
    }
    if n >= rev::OPENTELEMETRY && r.u8()? != 0 {
        r.advance(16 + 8)?;
        r.string_bytes()?;
        r.u8()?;
    }
    if n >= rev::PARALLEL_REPLICAS {
        r.varint()?;
        r.varint()?;
        r.varint()?;
    }
    Ok(info)
}

/// Reads a strings-with-flags list (settings or parameters) ended by an empty name.
fn parse_settings_with_flags(r: &mut WireReader<'_>) -> DecodeResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let name = r.string()?;
        if name.is_empty() {
            return Ok(out);
        }
        let flags = r.varint()?;
        let value = r.string()?;
        let value = if flags & SETTING_FLAG_CUSTOM != 0 {
            unquote_field_dump(&value)
        } else {
            value
        };
        out.push((name, value));
    }
}

/// Settings of clients below revision 54429: each value in its type's binary form.
/// Integer, boolean and time settings are VarUInts; floats, enums and strings are strings.
fn parse_settings_binary(r: &mut WireReader<'_>) -> DecodeResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let name = r.string()?;
        if name.is_empty() {
            return Ok(out);
        }
        let value = if old_setting_is_string(&name) {
            r.string()?
        } else {
            r.varint()?.to_string()
        };
        out.push((name, value));
    }
}

/// Whether a setting was serialized as a string by pre-54429 clients (floats, enum-like
/// modes, strings and chars; ClickHouse 18.x `SettingsCommon.cpp`).
fn old_setting_is_string(name: &str) -> bool {
    const STRING_SETTINGS: &[&str] = &[
        "load_balancing",
        "totals_mode",
        "totals_auto_threshold",
        "network_compression_method",
        "distributed_product_mode",
        "join_default_strictness",
        "date_time_input_format",
        "format_csv_delimiter",
        "format_schema",
        "count_distinct_implementation",
        "max_streams_to_max_threads_ratio",
        "max_streams_multiplier_for_merge_tables",
        "input_format_allow_errors_ratio",
        "global_subqueries_method",
        "insert_quorum_timeout_ratio",
        "compression_method",
        "log_queries_cut_to_length_str",
        "format_csv_allow_single_quotes_str",
    ];
    name.ends_with("_overflow_mode") || STRING_SETTINGS.contains(&name)
}

/// Undoes a Field dump of a string (`'it\'s'` → `it's`); other text is returned as is.
pub fn unquote_field_dump(text: &str) -> String {
    let Some(inner) = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .filter(|_| text.len() >= 2)
    else {
        return text.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('a') => out.push('\u{7}'),
            Some('v') => out.push('\u{b}'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                match u8::from_str_radix(&hex, 16) {
                    Ok(b) => out.push(char::from(b)),
                    Err(_) => {
                        out.push_str("\\x");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Writes an Exception packet.
pub fn write_exception(err: &Error, out: &mut Vec<u8>) {
    out.put_varint(server::EXCEPTION);
    out.put_i32_le(err.code.0);
    out.put_str(b"DB::Exception");
    out.put_str(display_text(err).as_bytes());
    out.put_str(b"");
    out.put_u8(0);
}

/// Writes a Progress packet with increments `p`.
pub fn write_progress(p: &ProgressValues, elapsed_ns: u64, n: u64, out: &mut Vec<u8>) {
    out.put_varint(server::PROGRESS);
    out.put_varint(p.read_rows);
    out.put_varint(p.read_bytes);
    out.put_varint(p.total_rows_to_read);
    if n >= rev::CLIENT_WRITE_INFO {
        out.put_varint(p.written_rows);
        out.put_varint(p.written_bytes);
    }
    if n >= rev::SERVER_QUERY_TIME_IN_PROGRESS {
        out.put_varint(elapsed_ns);
    }
}

/// Result statistics for ProfileInfo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProfileInfo {
    /// Rows sent.
    pub rows: u64,
    /// Blocks sent.
    pub blocks: u64,
    /// Bytes sent (uncompressed).
    pub bytes: u64,
}

/// Writes a ProfileInfo packet.
pub fn write_profile_info(info: &ProfileInfo, out: &mut Vec<u8>) {
    out.put_varint(server::PROFILE_INFO);
    out.put_varint(info.rows);
    out.put_varint(info.blocks);
    out.put_varint(info.bytes);
    out.put_u8(0); // applied_limit
    out.put_varint(0); // rows_before_limit
    // ClickHouse writes 1; Debian's clickhouse-client 18.16 aborts on 0.
    out.put_u8(1); // calculated_rows_before_limit
}

/// Writes a TableColumns packet describing `target`'s columns.
pub fn write_table_columns(target: &InsertTarget, out: &mut Vec<u8>) {
    out.put_varint(server::TABLE_COLUMNS);
    out.put_str(b"");
    out.put_str(columns_description(&target.columns).as_bytes());
}

/// ClickHouse's `ColumnsDescription::toString` text.
pub fn columns_description(columns: &[TableColumn]) -> String {
    let mut s = format!("columns format version: 1\n{} columns:\n", columns.len());
    for c in columns {
        s.push_str(&backquote(&c.name));
        s.push(' ');
        s.push_str(&c.type_name);
        if let Some((kind, expr)) = &c.default {
            s.push('\t');
            s.push_str(kind.keyword());
            s.push('\t');
            s.push_str(&escape_tsv(expr));
        }
        s.push('\n');
    }
    s
}

fn backquote(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('`');
    for c in name.chars() {
        match c {
            '`' => s.push_str("\\`"),
            '\\' => s.push_str("\\\\"),
            c => s.push(c),
        }
    }
    s.push('`');
    s
}

fn escape_tsv(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\\' => s.push_str("\\\\"),
            '\'' => s.push_str("\\'"),
            c => s.push(c),
        }
    }
    s
}

/// Writes an empty ProfileEvents block (never compressed).
pub fn write_empty_profile_events(n: u64, out: &mut Vec<u8>) {
    out.put_varint(server::PROFILE_EVENTS);
    out.put_str(b"");
    write_empty_block(n, out);
}

/// An empty native block (BlockInfo, 0 columns, 0 rows).
pub fn write_empty_block(_n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(&[0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]);
    out.put_varint(0);
    out.put_varint(0);
}

/// Writes a packet consisting of its type only (Pong, EndOfStream).
pub fn write_simple(packet: u64, out: &mut Vec<u8>) {
    out.put_varint(packet);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::DefaultKind;

    /// Query packet captured from Debian's clickhouse-client 18.16.1 (revision 54412),
    /// after the type byte.
    const DEBIAN_QUERY: &[u8] = b"\x00\x01\x00\x00\t0.0.0.0:0\x01\x00\x02vm\x11ClickHouse client\x12\x10\x8c\xa9\x03\x00\x01\x00\x02\x01\x08SELECT 1";

    #[test]
    fn parses_debian_query() {
        let mut r = WireReader::new(DEBIAN_QUERY);
        let q = parse_query(&mut r, 54412).expect("query");
        assert_eq!(q.sql, "SELECT 1");
        assert_eq!(q.stage, 2);
        assert!(q.compression);
        assert_eq!(q.client_info.client_name, "ClickHouse client");
        assert_eq!(q.client_info.client_revision, 54412);
        assert_eq!(r.remaining(), 0);
        for cut in 0..DEBIAN_QUERY.len() {
            assert_eq!(
                parse_query(&mut WireReader::new(&DEBIAN_QUERY[..cut]), 54412),
                Err(DecodeError::Incomplete)
            );
        }
    }

    fn encode_query(q: &QueryPacket, n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        v.put_str(q.query_id.as_bytes());
        v.put_u8(1);
        v.put_str(b"");
        v.put_str(b"");
        v.put_str(b"0.0.0.0:0");
        v.put_u64_le(0);
        v.put_u8(1);
        v.put_str(b"me");
        v.put_str(b"host");
        v.put_str(q.client_info.client_name.as_bytes());
        v.put_varint(24);
        v.put_varint(8);
        v.put_varint(q.client_info.client_revision);
        v.put_str(b"");
        v.put_varint(0);
        v.put_varint(5);
        v.put_u8(0);
        v.put_varint(0);
        v.put_varint(0);
        v.put_varint(0);
        for (k, val) in &q.settings {
            v.put_str(k.as_bytes());
            v.put_varint(0);
            v.put_str(val.as_bytes());
        }
        v.put_str(b"");
        v.put_str(b"");
        v.put_varint(q.stage);
        v.put_varint(u64::from(q.compression));
        v.put_str(q.sql.as_bytes());
        if n >= rev::PARAMETERS {
            for (k, val) in &q.params {
                v.put_str(k.as_bytes());
                v.put_varint(SETTING_FLAG_CUSTOM);
                v.put_str(format!("'{}'", val.replace('\'', "\\'")).as_bytes());
            }
            v.put_str(b"");
        }
        v
    }

    #[test]
    fn query_round_trip_at_54460() {
        let q = QueryPacket {
            query_id: "abc".into(),
            client_info: QueryClientInfo {
                query_kind: 1,
                client_name: "python-driver".into(),
                client_revision: 54468,
                os_user: "me".into(),
                client_hostname: "host".into(),
                quota_key: String::new(),
            },
            settings: vec![("max_threads".into(), "2".into())],
            stage: 2,
            compression: false,
            sql: "SELECT {x:String}".into(),
            params: vec![("x".into(), "it's".into())],
        };
        let bytes = encode_query(&q, 54460);
        let parsed = parse_query(&mut WireReader::new(&bytes), 54460).expect("parse");
        assert_eq!(parsed, q);
    }

    #[test]
    fn old_binary_settings() {
        let mut v = Vec::new();
        v.put_str(b"max_threads");
        v.put_varint(4);
        v.put_str(b"load_balancing");
        v.put_str(b"random");
        v.put_str(b"");
        let s = parse_settings_binary(&mut WireReader::new(&v)).expect("settings");
        assert_eq!(
            s,
            vec![
                ("max_threads".to_string(), "4".to_string()),
                ("load_balancing".to_string(), "random".to_string())
            ]
        );
    }

    #[test]
    fn unquotes_field_dumps() {
        assert_eq!(unquote_field_dump("'it\\'s'"), "it's");
        assert_eq!(unquote_field_dump("'a\\tb'"), "a\tb");
        assert_eq!(unquote_field_dump("42"), "42");
        assert_eq!(unquote_field_dump("'"), "'");
    }

    #[test]
    fn table_columns_text() {
        let cols = vec![
            TableColumn {
                name: "a".into(),
                type_name: "UInt32".into(),
                default: None,
            },
            TableColumn {
                name: "b".into(),
                type_name: "String".into(),
                default: Some((DefaultKind::Default, "if(a = 0, 'true', 'false')".into())),
            },
        ];
        assert_eq!(
            columns_description(&cols),
            "columns format version: 1\n2 columns:\n`a` UInt32\n`b` String\tDEFAULT\tif(a = 0, \\'true\\', \\'false\\')\n"
        );
    }

    #[test]
    fn exception_packet_layout() {
        let mut out = Vec::new();
        write_exception(
            &Error::new(ErrorCode::AUTHENTICATION_FAILED, "bad"),
            &mut out,
        );
        let mut r = WireReader::new(&out);
        assert_eq!(r.varint(), Ok(server::EXCEPTION));
        assert_eq!(r.i32_le(), Ok(516));
        assert_eq!(r.string().as_deref(), Ok("DB::Exception"));
        assert_eq!(r.string().as_deref(), Ok("DB::Exception: bad"));
        assert_eq!(r.string().as_deref(), Ok(""));
        assert_eq!(r.u8(), Ok(0));
        assert_eq!(r.remaining(), 0);
    }
}
