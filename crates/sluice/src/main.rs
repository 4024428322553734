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

fn main() {
    let args = cli::Cli::parse();
    let code = match args.command {
        cli::Command::Local(a) => local::run(a),
        cli::Command::Server(a) => server::run(a),
        cli::Command::Demo(a) => demo::run(a),
    };
    std::process::exit(code);
}
