//! The vectorized `groupArray` and `uniqExact` accumulators against the per-group states
//! they must stay interchangeable with: the same state bytes, the same values after a
//! partial emit (`EmitTo::First`) and a merge.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray, UInt32Array};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::EmitTo;
use sluice_common::ChType;

use super::super::factory::build;
use super::groups_accumulator;

fn u32s(v: &[u32]) -> ArrayRef {
    Arc::new(UInt32Array::from(v.to_vec()))
}

/// The generic state of `name(t)` over `values`, serialized.
fn generic_state(name: &str, t: &ChType, values: ArrayRef) -> Vec<u8> {
    let f = build(name, std::slice::from_ref(t)).unwrap();
    let mut st = f.new_state();
    st.add(&[values]).unwrap();
    let mut out = Vec::new();
    st.serialize(&mut out).unwrap();
    out
}

#[test]
fn group_array_states_and_partial_emit() {
    for (t, b1, b2, g0, g1) in [
        (
            ChType::UInt32,
            u32s(&[1, 2, 3, 4]),
            u32s(&[5, 6]),
            u32s(&[1, 3, 6]),
            u32s(&[2, 5]),
        ),
        (
            ChType::String,
            Arc::new(StringArray::from(vec!["a", "b", "c", "d"])) as ArrayRef,
            Arc::new(StringArray::from(vec!["e", "f"])) as ArrayRef,
            Arc::new(StringArray::from(vec!["a", "c", "f"])) as ArrayRef,
            Arc::new(StringArray::from(vec!["b", "e"])) as ArrayRef,
        ),
    ] {
        let f = build("groupArray", std::slice::from_ref(&t)).unwrap();
        let mut acc = groups_accumulator("groupArray", Arc::clone(&f)).unwrap();
        acc.update_batch(&[b1], &[0, 1, 0, 2], None, 3).unwrap();
        acc.update_batch(&[b2], &[1, 0], None, 3).unwrap();
        let states = acc.state(EmitTo::First(2)).unwrap();
        let bin = states[0].as_binary::<i32>();
        assert_eq!(bin.value(0), generic_state("groupArray", &t, g0).as_slice());
        assert_eq!(
            bin.value(1),
            generic_state("groupArray", &t, Arc::clone(&g1)).as_slice()
        );
        // Group 2 is now group 0 and holds the fourth value.
        let rest = acc.evaluate(EmitTo::All).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest.as_list::<i32>().value(0).len(), 1);
        // The states merged in reverse group order.
        let mut merged = groups_accumulator("groupArray", Arc::clone(&f)).unwrap();
        merged
            .merge_batch(&[Arc::clone(&states[0])], &[1, 0], 2)
            .unwrap();
        let out = merged.evaluate(EmitTo::All).unwrap();
        let lists = out.as_list::<i32>();
        assert_eq!(lists.value(0).to_data(), g1.to_data());
    }
}

/// Each state of `states` read by the generic `uniqExact` state of `f`: its count.
fn generic_counts(
    f: &super::super::func::AggFuncRef,
    states: &datafusion::arrow::array::BinaryArray,
) -> Vec<u64> {
    (0..states.len())
        .map(
            |g| match f.read_state(states.value(g)).unwrap().finalize().unwrap() {
                ScalarValue::UInt64(Some(n)) => n,
                other => panic!("uniqExact gave {other:?}"),
            },
        )
        .collect()
}

#[test]
fn uniq_exact_states_read_by_the_generic_state() {
    let f = build("uniqExact", &[ChType::UInt32]).unwrap();
    let mut acc = groups_accumulator("uniqExact", Arc::clone(&f)).unwrap();
    acc.update_batch(&[u32s(&[7, 7, 8, 9, 7, 1])], &[0, 0, 0, 1, 1, 1], None, 2)
        .unwrap();
    let states = acc.state(EmitTo::All).unwrap();
    let bin = states[0].as_binary::<i32>();
    assert_eq!(generic_counts(&f, bin), vec![2, 3]);
    // The generic state of {7, 1, 2} merges with group 1 ({9, 7, 1}): 4 keys.
    let mut merged = groups_accumulator("uniqExact", Arc::clone(&f)).unwrap();
    let generic = generic_state("uniqExact", &ChType::UInt32, u32s(&[7, 1, 2]));
    let col: ArrayRef = Arc::new(datafusion::arrow::array::BinaryArray::from(vec![
        generic.as_slice(),
        bin.value(1),
    ]));
    merged.merge_batch(&[col], &[0, 0], 1).unwrap();
    let out = merged.evaluate(EmitTo::All).unwrap();
    assert_eq!(
        out.as_primitive::<datafusion::arrow::datatypes::UInt64Type>()
            .value(0),
        4
    );
}

#[test]
fn uniq_exact_sets_grow_past_inline_keys_at_every_width() {
    use datafusion::arrow::array::UInt64Array;
    use datafusion::arrow::datatypes::UInt64Type;
    // Group 0 gets rows 0..79: 40 keys (past the inline keys, into a hash set), nearly
    // all twice; group 1 gets row 79, one of those keys. The keys span more than a
    // bitmap's range (see the next test).
    let n = 80u32;
    let groups: Vec<usize> = (0..n).map(|i| usize::from(i == n - 1)).collect();
    let cases: Vec<(ChType, ArrayRef)> = vec![
        (
            ChType::UInt32,
            Arc::new(UInt32Array::from_iter_values(
                (0..n).map(|i| (i % 40) * 1_000 + 1),
            )),
        ),
        (
            ChType::UInt64,
            Arc::new(UInt64Array::from_iter_values(
                (0..n).map(|i| u64::from(i % 40) << 40),
            )),
        ),
        (
            ChType::String,
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("s{}", i % 40)),
            )),
        ),
    ];
    for (t, values) in cases {
        let f = build("uniqExact", std::slice::from_ref(&t)).unwrap();
        let mut acc = groups_accumulator("uniqExact", Arc::clone(&f)).unwrap();
        acc.update_batch(&[Arc::clone(&values)], &groups, None, 2)
            .unwrap();
        assert!(acc.size() > 0);
        let states = acc.state(EmitTo::All).unwrap();
        let bin = states[0].as_binary::<i32>();
        // The generic state reads the vectorized one.
        assert_eq!(generic_counts(&f, bin), vec![40, 1], "{t}");
        // Merging the states into one group, and the generic state of all values: the
        // same 40 keys.
        let mut merged = groups_accumulator("uniqExact", Arc::clone(&f)).unwrap();
        let generic = generic_state("uniqExact", &t, Arc::clone(&values));
        let col: ArrayRef = Arc::new(datafusion::arrow::array::BinaryArray::from(vec![
            bin.value(0),
            bin.value(1),
            generic.as_slice(),
        ]));
        merged.merge_batch(&[col], &[0, 0, 0], 1).unwrap();
        let out = merged.evaluate(EmitTo::All).unwrap();
        assert_eq!(out.as_primitive::<UInt64Type>().value(0), 40, "{t}");
    }
}

#[test]
fn uniq_exact_bitmaps_with_keys_outside_their_range() {
    use datafusion::arrow::datatypes::UInt64Type;
    let f = build("uniqExact", &[ChType::UInt32]).unwrap();
    let mut acc = groups_accumulator("uniqExact", Arc::clone(&f)).unwrap();
    // The first batch spans 100..=299 (bitmaps over 256 keys from 100); the second brings
    // keys below and above that range (into the sets) and a third group.
    let first: Vec<u32> = (0..400).map(|i| 100 + i % 200).collect();
    let groups: Vec<usize> = (0..400).map(|i| i % 2).collect();
    acc.update_batch(&[u32s(&first)], &groups, None, 2).unwrap();
    acc.update_batch(
        &[u32s(&[99, 356, 355, 100, 5_000, 99, 7, 7])],
        &[0, 0, 0, 0, 1, 1, 2, 2],
        None,
        3,
    )
    .unwrap();
    // Group 0: the 100 even keys of 100..=298 and 99, 356 and 355 (355 is in the bitmap's
    // last word, 356 past it); group 1: 100 odd keys, 5000 and 99; group 2: 7.
    let states = acc.state(EmitTo::First(2)).unwrap();
    let bin = states[0].as_binary::<i32>();
    assert_eq!(generic_counts(&f, bin), vec![103, 102]);
    let rest = acc.evaluate(EmitTo::All).unwrap();
    assert_eq!(rest.as_primitive::<UInt64Type>().values().to_vec(), vec![1]);
    // After the emit the bitmaps start again from group 0.
    acc.update_batch(&[u32s(&[150, 151, 150])], &[0, 0, 0], None, 1)
        .unwrap();
    let again = acc.evaluate(EmitTo::All).unwrap();
    assert_eq!(
        again.as_primitive::<UInt64Type>().values().to_vec(),
        vec![2]
    );
    // A fresh accumulator whose bitmaps come from a first merged state ({100, 105}: keys
    // 100..=163), then both states and the generic state of 0..=4 into the same group:
    // 200 + 4 + 5 keys.
    let mut merged = groups_accumulator("uniqExact", Arc::clone(&f)).unwrap();
    let small = generic_state("uniqExact", &ChType::UInt32, u32s(&[100, 105]));
    let small: ArrayRef = Arc::new(datafusion::arrow::array::BinaryArray::from(vec![
        small.as_slice(),
    ]));
    merged.merge_batch(&[small], &[0], 1).unwrap();
    let generic = generic_state("uniqExact", &ChType::UInt32, u32s(&[0, 1, 2, 3, 4]));
    let col: ArrayRef = Arc::new(datafusion::arrow::array::BinaryArray::from(vec![
        bin.value(0),
        bin.value(1),
        generic.as_slice(),
    ]));
    merged.merge_batch(&[col], &[0, 0, 0], 1).unwrap();
    let out = merged.evaluate(EmitTo::All).unwrap();
    assert_eq!(out.as_primitive::<UInt64Type>().value(0), 209);
}

#[test]
fn group_array_merged_runs_keep_arrival_order_across_emits() {
    let t = ChType::UInt32;
    let f = build("groupArray", std::slice::from_ref(&t)).unwrap();
    let state = |v: &[u32]| generic_state("groupArray", &t, u32s(v));
    // Rows of group 1, then merged states (a sliced array, an empty and a NULL state among
    // them), then rows again: each group's values in arrival order.
    let states = datafusion::arrow::array::BinaryArray::from(vec![
        Some(state(&[99]).as_slice()),
        Some(state(&[1, 2]).as_slice()),
        Some(state(&[]).as_slice()),
        None,
        Some(state(&[3]).as_slice()),
        Some(state(&[4, 5, 6]).as_slice()),
    ]);
    let sliced: ArrayRef = Arc::new(states.slice(1, 5));
    let mut acc = groups_accumulator("groupArray", Arc::clone(&f)).unwrap();
    acc.update_batch(&[u32s(&[10])], &[1], None, 3).unwrap();
    acc.merge_batch(&[sliced], &[0, 2, 1, 1, 2], 3).unwrap();
    acc.update_batch(&[u32s(&[20, 30])], &[2, 0], None, 3)
        .unwrap();
    // Group 0 as a state, then groups 1 and 2 (renumbered 0 and 1) as lists.
    let first = acc.state(EmitTo::First(1)).unwrap();
    assert_eq!(
        first[0].as_binary::<i32>().value(0),
        state(&[1, 2, 30]).as_slice()
    );
    let rest = acc.evaluate(EmitTo::All).unwrap();
    let lists = rest.as_list::<i32>();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists.value(0).to_data(), u32s(&[10, 3]).to_data());
    assert_eq!(lists.value(1).to_data(), u32s(&[4, 5, 6, 20]).to_data());
}

/// Unsigned arguments are read in place (no 128-bit keys): the states are the generic
/// state's bytes at every width, rows outside the `FILTER` and NULL-free columns alike.
#[test]
fn uniq_exact_unsigned_values_in_place_give_the_generic_states() {
    use datafusion::arrow::array::{BooleanArray, UInt8Array, UInt16Array, UInt64Array};
    let raw: Vec<u64> = (0..300u64).map(|i| (i * 37) % 251).collect();
    let keep: Vec<bool> = (0..300).map(|i| i % 7 != 3).collect();
    let kept: Vec<u64> = raw
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| *v)
        .collect();
    let cases: Vec<(ChType, ArrayRef, ArrayRef)> = vec![
        (
            ChType::UInt8,
            Arc::new(UInt8Array::from_iter_values(raw.iter().map(|v| *v as u8))),
            Arc::new(UInt8Array::from_iter_values(kept.iter().map(|v| *v as u8))),
        ),
        (
            ChType::UInt16,
            Arc::new(UInt16Array::from_iter_values(
                raw.iter().map(|v| *v as u16 * 250),
            )),
            Arc::new(UInt16Array::from_iter_values(
                kept.iter().map(|v| *v as u16 * 250),
            )),
        ),
        (
            ChType::UInt32,
            u32s(&raw.iter().map(|v| *v as u32 * 70_000).collect::<Vec<_>>()),
            u32s(&kept.iter().map(|v| *v as u32 * 70_000).collect::<Vec<_>>()),
        ),
        (
            ChType::UInt64,
            Arc::new(UInt64Array::from_iter_values(raw.iter().map(|v| v << 40))),
            Arc::new(UInt64Array::from_iter_values(kept.iter().map(|v| v << 40))),
        ),
    ];
    for (t, all, selected) in cases {
        let f = build("uniqExact", std::slice::from_ref(&t)).unwrap();
        let mut acc = groups_accumulator("uniqExact", Arc::clone(&f)).unwrap();
        let filter = BooleanArray::from(keep.clone());
        acc.update_batch(&[all], &vec![0; 300], Some(&filter), 1)
            .unwrap();
        let states = acc.state(EmitTo::All).unwrap();
        let bin = states[0].as_binary::<i32>();
        let want = generic_state("uniqExact", &t, selected);
        assert_eq!(
            generic_counts(&f, bin),
            generic_counts(
                &f,
                &datafusion::arrow::array::BinaryArray::from(vec![want.as_slice()])
            ),
            "{t}"
        );
        assert_eq!(
            generic_counts(&f, bin),
            vec![251u64.min(kept.iter().collect::<std::collections::HashSet<_>>().len() as u64)],
            "{t}"
        );
    }
}
