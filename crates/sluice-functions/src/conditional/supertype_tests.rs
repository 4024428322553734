//! Checks [`least_supertype`] against the pairwise table produced by real ClickHouse.

use sluice_common::{ChType, ErrorCode};

use super::least_supertype;

#[test]
fn matches_clickhouse_pair_table() {
    let table = include_str!("testdata/supertype.tsv");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "bad line {line}");
        let a = ChType::parse(cols[0]).expect("type a");
        let b = ChType::parse(cols[1]).expect("type b");
        let got = least_supertype(&[a, b]);
        let ok = match (cols[2].strip_prefix("ERROR "), &got) {
            (Some(code), Err(e)) => ErrorCode::from_name(code) == Some(e.code),
            (None, Ok(t)) => t.to_string() == cols[2],
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{} + {}: expected {}, got {:?}",
                cols[0], cols[1], cols[2], got
            ));
        }
        checked += 1;
    }
    assert!(checked > 1000);
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn nothing_and_lists() {
    assert_eq!(
        least_supertype(&[]).map(|t| t.to_string()),
        Ok("Nothing".into())
    );
    let three = [ChType::UInt8, ChType::Int8, ChType::Float32];
    assert_eq!(
        least_supertype(&three).map(|t| t.to_string()),
        Ok("Float32".into())
    );
}
