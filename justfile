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

# Fuzz every cargo-fuzz target in fuzz/ for `seconds` each (nightly + `cargo install
# cargo-fuzz`). Seeds the corpora from tests/fuzz_corpus.rs first. The sanitizer build goes
# to $FUZZ_TARGET_DIR (default fuzz/target), away from the shared target directory.
fuzz seconds="240":
    SLUICE_FUZZ_SEEDS="$PWD/fuzz/corpus" cargo test -q -p sluice-server --test fuzz_corpus
    cd fuzz && export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-target}" && for t in client_packets data_block http_request native_decoder http_params parse_sql; do cargo +nightly fuzz run "$t" -- -max_total_time={{seconds}} || exit 1; done
