//! The `sluice` binary: `sluice local` (like clickhouse-local), `sluice server` and
//! `sluice demo` (the seed pipeline on an embedded broker, [`demo`]).
//!
//! Module map: [`allocator`] sets mimalloc's options for the long-running commands;
//! [`local`] runs SQL from `-q`/stdin against an embedded engine and prints
//! results in the chosen format; [`cli`] holds the argument definitions; [`config`] reads
//! `sluice server --config`.

mod allocator;
mod cli;
mod config;
mod demo;
mod local;
mod server;

use clap::Parser;

/// mimalloc instead of glibc's malloc: the Kafka pipeline allocates and frees blocks of tens
/// of MiB from several threads; glibc served them with fresh mappings (about a tenth of the
/// pipeline's CPU went to the kernel zeroing pages) and kept per-thread arenas apart, which
/// inflated the peak RSS. Measured in `crates/sluice/benches/pipeline.rs`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = cli::Cli::parse_from(cli::normalized_args());
    if matches!(
        args.command,
        cli::Command::Server(_) | cli::Command::Demo(_)
    ) {
        allocator::configure_for_server();
    }
    // `RUST_LOG` picks what is logged (to stderr); without it a server logs at `info` like
    // ClickHouse's default `information` level, and `sluice local` (like clickhouse-local)
    // logs nothing beside its own error messages.
    init_logging(match args.command {
        cli::Command::Local(_) => "off",
        cli::Command::Server(_) | cli::Command::Demo(_) => "info",
    });
    let code = match args.command {
        cli::Command::Local(a) => local::run(a),
        cli::Command::Server(a) => server::run(a),
        cli::Command::Demo(a) => demo::run(a),
    };
    std::process::exit(code);
}

/// Installs the `tracing` subscriber: `RUST_LOG` if set (and valid), else `default`.
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // `try_init`: a second subscriber (there is none) would be an error, not a reason to stop.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
