//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Sluice: a ClickHouse-compatible database built around the Kafka table engine.
#[derive(Debug, Parser)]
#[command(name = "sluice", version)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run SQL locally, like clickhouse-local.
    Local(LocalArgs),
    /// Serve ClickHouse's HTTP and native TCP interfaces.
    Server(ServerArgs),
    /// The seed guide's Debezium → Kafka → MergeTree pipeline on an embedded broker.
    Demo(DemoArgs),
}

/// `sluice demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Debezium events generated per second.
    #[arg(long = "rate", default_value_t = 10_000)]
    pub rate: u64,
    /// Data directory (a temporary one, removed at exit, when absent).
    #[arg(long = "path")]
    pub path: Option<PathBuf>,
    /// HTTP port (a free one when taken).
    #[arg(long = "http-port", default_value_t = 8123)]
    pub http_port: u16,
    /// Native TCP port (a free one when taken).
    #[arg(long = "tcp-port", default_value_t = 9000)]
    pub tcp_port: u16,
}

/// `sluice server` arguments. Each flag overrides the configuration file's key of the same
/// name.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Directory for persistent state (default `./sluice-data`).
    #[arg(long = "path")]
    pub path: Option<PathBuf>,
    /// HTTP interface port (default 8123).
    #[arg(long = "http-port")]
    pub http_port: Option<u16>,
    /// Native TCP protocol port (default 9000).
    #[arg(long = "tcp-port")]
    pub tcp_port: Option<u16>,
    /// Address to listen on (default 127.0.0.1).
    #[arg(long = "listen-host")]
    pub listen_host: Option<String>,
    /// Configuration file (TOML: users, settings, Kafka properties; docs/configuration.md).
    #[arg(long = "config", short = 'C')]
    pub config: Option<PathBuf>,
}

/// `sluice local` arguments (clickhouse-local's names).
#[derive(Debug, Args)]
pub struct LocalArgs {
    /// SQL to run (several statements separated by `;`); read from stdin when absent.
    #[arg(short = 'q', long = "query")]
    pub query: Option<String>,
    /// Output format (default TSV).
    #[arg(short = 'f', long = "format", alias = "output-format")]
    pub format: Option<String>,
    /// Directory for persistent state; without it, state lives only for the process.
    #[arg(long = "path")]
    pub path: Option<PathBuf>,
    /// Settings as `--name=value` are accepted by clickhouse-local; Sluice takes them as
    /// `--setting name=value`.
    #[arg(long = "setting", value_parser = parse_kv)]
    pub settings: Vec<(String, String)>,
    /// Also print timing to stderr.
    #[arg(short = 't', long = "time")]
    pub time: bool,
    /// Query parameters (`{name:Type}` placeholders), written `--param_<name>=<value>` or
    /// `--param_<name> <value>` as for clickhouse-local ([`normalized_args`] turns them into
    /// `--param name=value`).
    #[arg(long = "param", value_parser = parse_kv)]
    pub params: Vec<(String, String)>,
}

/// The process arguments with clickhouse-local's `--param_<name>=<value>` and
/// `--param_<name> <value>` written as `--param <name>=<value>` (clap has no prefix options).
pub fn normalized_args() -> Vec<std::ffi::OsString> {
    normalize(std::env::args_os().collect())
}

fn normalize(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let Some(param) = a.to_str().and_then(|s| s.strip_prefix("--param_")) else {
            out.push(a);
            continue;
        };
        let pair = match param.split_once('=') {
            Some(_) => param.to_string(),
            None => {
                let value = it
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .unwrap_or_default();
                format!("{param}={value}")
            }
        };
        out.push("--param".into());
        out.push(pair.into());
    }
    out
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| format!("expected name=value, got {s}"))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn param_options_become_param_pairs() {
        let args = [
            "sluice",
            "local",
            "--param_x=1",
            "--param_s",
            "a b",
            "-q",
            "SELECT 1",
        ];
        let out = normalize(args.iter().map(|s| (*s).into()).collect());
        let out: Vec<String> = out
            .into_iter()
            .filter_map(|s| s.into_string().ok())
            .collect();
        assert_eq!(
            out,
            [
                "sluice", "local", "--param", "x=1", "--param", "s=a b", "-q", "SELECT 1"
            ]
        );
    }
}
