//! The `sluice` binary: `sluice local` (like clickhouse-local) and `sluice server`.
//!
//! Module map: [`local`] runs SQL from `-q`/stdin against an embedded engine and prints
//! results in the chosen format; [`cli`] holds the argument definitions.

mod cli;
mod local;
mod server;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    let code = match args.command {
        cli::Command::Local(a) => local::run(a),
        cli::Command::Server(a) => server::run(a),
    };
    std::process::exit(code);
}
