//! Connection start: the client's Hello, the server's Hello, the addendum, and the protocol
//! revisions that gate optional fields.
//!
//! The server advertises [`SERVER_REVISION`] and uses `min(client revision, SERVER_REVISION)`
//! for every gated field in both directions.

use sluice_common::{Error, ErrorCode};

use crate::native::wire::{DecodeResult, WireReader, WireWrite};

/// Revision the server advertises. 54460 is clickhouse-go's own revision and the highest one
/// without chunked framing or password-rule fields; older clients (Debian's clickhouse-client
/// 18.16 sends 54412) are served at their own revision.
pub const SERVER_REVISION: u64 = 54460;

/// Revisions gating protocol fields (ClickHouse's `ProtocolDefines.h`).
pub mod rev {
    /// ClientInfo block inside Query.
    pub const CLIENT_INFO: u64 = 54032;
    /// Timezone in server Hello.
    pub const SERVER_TIMEZONE: u64 = 54058;
    /// quota_key in ClientInfo.
    pub const QUOTA_KEY_IN_CLIENT_INFO: u64 = 54060;
    /// `DateTime('tz')` sent with its time zone (otherwise stripped).
    pub const TIME_ZONE_PARAMETER_IN_DATETIME: u64 = 54337;
    /// display_name in server Hello.
    pub const SERVER_DISPLAY_NAME: u64 = 54372;
    /// version_patch in Hello and ClientInfo.
    pub const VERSION_PATCH: u64 = 54401;
    /// LowCardinality columns allowed (otherwise sent as the inner type).
    pub const LOW_CARDINALITY_TYPE: u64 = 54405;
    /// TableColumns packet before the INSERT sample block.
    pub const COLUMN_DEFAULTS_METADATA: u64 = 54410;
    /// written_rows/bytes in Progress.
    pub const CLIENT_WRITE_INFO: u64 = 54420;
    /// Settings as strings with flags.
    pub const SETTINGS_SERIALIZED_AS_STRINGS: u64 = 54429;
    /// Interserver secret in Query.
    pub const INTERSERVER_SECRET: u64 = 54441;
    /// OpenTelemetry trace context in ClientInfo.
    pub const OPENTELEMETRY: u64 = 54442;
    /// distributed_depth in ClientInfo.
    pub const DISTRIBUTED_DEPTH: u64 = 54448;
    /// initial_query_start_time in ClientInfo.
    pub const INITIAL_QUERY_START_TIME: u64 = 54449;
    /// Parallel-replicas fields in ClientInfo.
    pub const PARALLEL_REPLICAS: u64 = 54453;
    /// One custom-serialization byte per column in blocks.
    pub const CUSTOM_SERIALIZATION: u64 = 54454;
    /// ProfileEvents after INSERT blocks.
    pub const PROFILE_EVENTS_IN_INSERT: u64 = 54456;
    /// Addendum (quota_key) after Hello.
    pub const ADDENDUM: u64 = 54458;
    /// Query parameters after the query text.
    pub const PARAMETERS: u64 = 54459;
    /// elapsed_ns in Progress.
    pub const SERVER_QUERY_TIME_IN_PROGRESS: u64 = 54460;
    /// Script line/number in ClientInfo.
    pub const SCRIPT_INFO: u64 = 54475;
    /// JWT in ClientInfo.
    pub const JWT_IN_INTERSERVER: u64 = 54476;
    /// client_agent in ClientInfo.
    pub const CLIENT_AGENT: u64 = 54485;
}

/// Packet type of a client Hello.
pub const CLIENT_HELLO: u64 = 0;

/// The client's Hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// Client program name.
    pub client_name: String,
    /// Client major version.
    pub version_major: u64,
    /// Client minor version.
    pub version_minor: u64,
    /// The client's protocol revision.
    pub revision: u64,
    /// Database to start in ("" = the user's default).
    pub database: String,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

/// What the first packet of a connection turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FirstPacket {
    /// A proper Hello.
    Hello(ClientHello),
    /// `G`/`P`: an HTTP request sent to the TCP port.
    Http,
}

/// Parses the first packet of a connection.
pub fn parse_client_hello(r: &mut WireReader<'_>) -> DecodeResult<FirstPacket> {
    let packet_type = r.varint()?;
    if packet_type == u64::from(b'G') || packet_type == u64::from(b'P') {
        return Ok(FirstPacket::Http);
    }
    if packet_type != CLIENT_HELLO {
        return Err(Error::new(
            ErrorCode::UNEXPECTED_PACKET_FROM_CLIENT,
            format!("Unexpected packet from client (expected Hello, got {packet_type})"),
        )
        .into());
    }
    let client_name = r.string()?;
    let version_major = r.varint()?;
    let version_minor = r.varint()?;
    let revision = r.varint()?;
    let database = r.string()?;
    let user = r.string()?;
    let password = r.string()?;
    Ok(FirstPacket::Hello(ClientHello {
        client_name,
        version_major,
        version_minor,
        revision,
        database,
        user,
        password,
    }))
}

/// The reply ClickHouse gives when an HTTP client connects to the TCP port.
pub fn wrong_port_reply(tcp_port: u16, http_port: Option<u16>) -> Vec<u8> {
    let http = http_port.map_or_else(|| "8123".to_string(), |p| p.to_string());
    format!(
        "HTTP/1.0 400 Bad Request\r\n\r\nPort {tcp_port} is for clickhouse-client program.\r\n\
         You must use port {http} for HTTP.\r\n"
    )
    .into_bytes()
}

/// Server facts sent in Hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// Product name (`ClickHouse`, which some clients check).
    pub name: String,
    /// Version (major, minor, patch).
    pub version: (u64, u64, u64),
    /// IANA time zone of the server.
    pub timezone: String,
    /// Display name.
    pub display_name: String,
}

/// Writes the server Hello for negotiated revision `n`.
pub fn write_server_hello(hello: &ServerHello, n: u64, out: &mut Vec<u8>) {
    out.put_varint(0);
    out.put_str(hello.name.as_bytes());
    out.put_varint(hello.version.0);
    out.put_varint(hello.version.1);
    out.put_varint(SERVER_REVISION);
    if n >= rev::SERVER_TIMEZONE {
        out.put_str(hello.timezone.as_bytes());
    }
    if n >= rev::SERVER_DISPLAY_NAME {
        out.put_str(hello.display_name.as_bytes());
    }
    if n >= rev::VERSION_PATCH {
        out.put_varint(hello.version.2);
    }
}

/// Parses the client's addendum (sent when `n >= 54458`): the quota key.
pub fn parse_addendum(r: &mut WireReader<'_>) -> DecodeResult<String> {
    r.string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::wire::DecodeError;

    #[test]
    fn server_hello_matches_reference_bytes() {
        let hello = ServerHello {
            name: "ClickHouse".into(),
            version: (24, 8, 1),
            timezone: "UTC".into(),
            display_name: "rustch".into(),
        };
        let mut out = Vec::new();
        write_server_hello(&hello, 54460, &mut out);
        let expected: &[u8] = &[
            0x00, 0x0A, 0x43, 0x6C, 0x69, 0x63, 0x6B, 0x48, 0x6F, 0x75, 0x73, 0x65, 0x18, 0x08,
            0xBC, 0xA9, 0x03, 0x03, 0x55, 0x54, 0x43, 0x06, 0x72, 0x75, 0x73, 0x74, 0x63, 0x68,
            0x01,
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn parses_debian_client_hello() {
        // Captured from Debian's clickhouse-client 18.16.1.
        let bytes = b"\x00\x11ClickHouse client\x12\x10\x8c\xa9\x03\x00\x07default\x00";
        let mut r = WireReader::new(bytes);
        let FirstPacket::Hello(h) = parse_client_hello(&mut r).expect("hello") else {
            panic!("not a hello");
        };
        assert_eq!(h.client_name, "ClickHouse client");
        assert_eq!(
            (h.version_major, h.version_minor, h.revision),
            (18, 16, 54412)
        );
        assert_eq!(h.user, "default");
        assert_eq!(r.remaining(), 0);
        for cut in 0..bytes.len() {
            assert_eq!(
                parse_client_hello(&mut WireReader::new(&bytes[..cut])),
                Err(DecodeError::Incomplete)
            );
        }
    }

    #[test]
    fn http_on_tcp_port() {
        assert_eq!(
            parse_client_hello(&mut WireReader::new(b"GET / HTTP/1.1\r\n")),
            Ok(FirstPacket::Http)
        );
        let reply = String::from_utf8(wrong_port_reply(9000, Some(8123))).expect("utf8");
        assert!(reply.starts_with(
            "HTTP/1.0 400 Bad Request\r\n\r\nPort 9000 is for clickhouse-client program."
        ));
        assert!(matches!(
            parse_client_hello(&mut WireReader::new(&[7])),
            Err(DecodeError::Invalid(e)) if e.code == ErrorCode::UNEXPECTED_PACKET_FROM_CLIENT
        ));
    }
}
