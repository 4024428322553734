# Same steps as CI.
ci:
    .ci/run

test:
    cargo test --workspace

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

clickhouse-tests:
    cargo build --release
    ../shared/clickhouse-tests/run --engine sluice
