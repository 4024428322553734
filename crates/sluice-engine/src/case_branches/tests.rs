//! [`CaseBranchesExpr`] against DataFusion's `CaseExpr` on the same batches.

use datafusion::arrow::array::{Int64Array, StringArray, UInt32Array};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::expressions::{binary, case, cast, col, lit, negative};

use super::*;

fn batch(rows: usize) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("q", DataType::UInt32, true),
        Field::new("op", DataType::Utf8, true),
        Field::new("s", DataType::Int64, true),
    ]));
    let q = UInt32Array::from_iter((0..rows as u32).map(|i| (i % 11 != 3).then_some(1 + i % 10)));
    let op = StringArray::from_iter((0..rows).map(|i| match i % 4 {
        0 => Some("c"),
        1 => Some("u"),
        2 => None,
        _ => Some("r"),
    }));
    let s = Int64Array::from_iter((0..rows as i64).map(|i| (i % 7 != 0).then_some(i * 1000 - 7)));
    RecordBatch::try_new(schema, vec![Arc::new(q), Arc::new(op), Arc::new(s)])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn eval(e: &Arc<dyn PhysicalExpr>, b: &RecordBatch) -> ArrayRef {
    e.evaluate(b)
        .and_then(|v| v.into_array(b.num_rows()))
        .unwrap_or_else(|err| panic!("evaluate {e}: {err}"))
}

/// `CASE`s as the planner writes them, over [`batch`]'s schema.
fn cases(schema: &Schema) -> Vec<Arc<dyn PhysicalExpr>> {
    let c = |n: &str| col(n, schema).unwrap_or_else(|e| panic!("{e}"));
    let is_c = binary(c("op"), Operator::Eq, lit("c"), schema).unwrap_or_else(|e| panic!("{e}"));
    let q64 = cast(c("q"), schema, DataType::Int64).unwrap_or_else(|e| panic!("{e}"));
    let neg = negative(Arc::clone(&q64), schema).unwrap_or_else(|e| panic!("{e}"));
    let big = binary(c("s"), Operator::Gt, lit(5000i64), schema).unwrap_or_else(|e| panic!("{e}"));
    let mk = |w: &Arc<dyn PhysicalExpr>,
              t: Arc<dyn PhysicalExpr>,
              o: Option<Arc<dyn PhysicalExpr>>|
     -> Arc<dyn PhysicalExpr> {
        case(None, vec![(Arc::clone(w), t)], o).unwrap_or_else(|e| panic!("{e}"))
    };
    vec![
        mk(&is_c, Arc::clone(&neg), Some(lit(0i64))),
        mk(&is_c, Arc::clone(&neg), None),
        mk(&is_c, Arc::clone(&neg), Some(c("s"))),
        mk(&big, c("s"), Some(Arc::clone(&q64))),
        mk(&big, lit(ScalarValue::Int64(None)), Some(neg)),
        mk(&is_c, lit("yes"), Some(c("op"))),
        mk(&big, c("op"), None),
    ]
}

#[test]
fn same_values_as_case_expr() {
    for rows in [0usize, 1, 3, 100, 4099] {
        let b = batch(rows);
        let schema = b.schema();
        for case in cases(&schema) {
            let ours = CaseBranchesExpr::try_from_case(&case, &schema)
                .unwrap_or_else(|| panic!("not rewritten: {case}"));
            let ours: Arc<dyn PhysicalExpr> = Arc::new(ours);
            assert_eq!(
                eval(&ours, &b).to_data(),
                eval(&case, &b).to_data(),
                "{case} on {rows} rows"
            );
            // Slices (an offset into every column) and batches whose rows all take one branch.
            if rows > 10 {
                let s = b.slice(3, rows - 7);
                assert_eq!(
                    eval(&ours, &s).to_data(),
                    eval(&case, &s).to_data(),
                    "{case}"
                );
                let one = b.slice(0, 1);
                assert_eq!(
                    eval(&ours, &one).to_data(),
                    eval(&case, &one).to_data(),
                    "{case}"
                );
            }
        }
    }
}

#[test]
fn branches_read_only_their_columns() {
    let b = batch(8);
    let schema = b.schema();
    let case = &cases(&schema)[0];
    let ours = CaseBranchesExpr::try_from_case(case, &schema)
        .unwrap_or_else(|| panic!("not rewritten: {case}"));
    assert_eq!(ours.then.columns, vec![0]);
    assert_eq!(ours.otherwise.map(|o| o.columns), Some(vec![]));
}

#[test]
fn other_forms_stay() {
    let b = batch(8);
    let schema = b.schema();
    let c = |n: &str| col(n, &schema).unwrap_or_else(|e| panic!("{e}"));
    // A base expression, two conditions.
    let with_base: Arc<dyn PhysicalExpr> =
        case(Some(c("op")), vec![(lit("c"), lit(1i64))], Some(lit(0i64)))
            .unwrap_or_else(|e| panic!("{e}"));
    let is_c = binary(c("op"), Operator::Eq, lit("c"), &schema).unwrap_or_else(|e| panic!("{e}"));
    let is_u = binary(c("op"), Operator::Eq, lit("u"), &schema).unwrap_or_else(|e| panic!("{e}"));
    let two: Arc<dyn PhysicalExpr> = case(
        None,
        vec![(is_c, lit(1i64)), (is_u, lit(2i64))],
        Some(lit(0i64)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for e in [with_base, two] {
        assert!(
            CaseBranchesExpr::try_from_case(&e, &schema).is_none(),
            "{e}"
        );
    }
}
