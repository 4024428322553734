//! The `sluice` binary: `sluice local` (like clickhouse-local), `sluice server` and
//! `sluice demo` (the seed pipeline on an embedded broker, [`demo`]).
//!
//! Module map: [`local`] runs SQL from `-q`/stdin against an embedded engine and prints
//! results in the chosen format; [`cli`] holds the argument definitions; [`config`] reads
//! `sluice server --config`.

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
    let args = cli::Cli::parse();
    let code = match args.command {
        cli::Command::Local(a) => local::run(a),
        cli::Command::Server(a) => server::run(a),
        cli::Command::Demo(a) => demo::run(a),
    };
    std::process::exit(code);
}
