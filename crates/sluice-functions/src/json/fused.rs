//! Fused evaluation: every JSON call a plan makes on one column is evaluated in a single
//! pass over its rows, each document parsed once into a small reused tape that stays in the
//! CPU cache while all the calls read it.
//!
//! DataFusion evaluates one expression at a time over a whole batch, so a view with seven
//! JSON calls on `payload` would walk the batch seven times (and a parse-once cache of
//! whole-batch tapes would stream tapes as large as the payloads through memory seven
//! times). Instead, each thread remembers the *signatures* of the calls it evaluated
//! recently (function, key matching, nesting levels, constant path, result type, and the
//! name of the JSON argument's column). The first call on a new column evaluates, in one
//! pass, its own signature and every signature recently seen on a column of that name; the
//! results are kept with the column (whose buffers the entry holds, so its identity cannot
//! be reused) and the following calls return them. A call whose signature was not
//! predicted evaluates it (again with the other missing ones) in another pass.
//!
//! A column that is a filtered copy of a column already evaluated here (DataFusion's
//! `FilterExec` copies the rows a `WHERE` keeps, and the projection then calls the
//! functions on the copy) is matched row by row against it, byte for byte, once; its results
//! are then gathered from the source's results (`take` / `interleave`), so the rows are not
//! parsed again. The source is evaluated on all its rows, including the few the filter
//! dropped.
//!
//! Only calls with a scalar result ([`RowSink`]), a plain string or binary JSON column and
//! non-NULL constant paths take this route; a signature's result depends only on the column's
//! bytes, so a reused or predicted result is the one the call would have computed.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, UInt32Array};
use datafusion::arrow::compute::{interleave, take};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::ColumnarValue;

use super::cache::{Identity, JsonColumn, identity, match_row, parse_row};
use super::doc::{Doc, Step, StepRef};
use super::eval::{Found, Options, Scratch, const_steps, resolve};
use super::funcs::Op;
use super::select::{NOT_FOUND, PathHits, PathSet, Shape, parse_selected};
use super::sink::RowSink;

/// Everything a call's result depends on besides the column's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sig {
    /// The function.
    pub op: Op,
    /// `…CaseInsensitive`.
    pub case_insensitive: bool,
    /// Path-argument counts per nesting level.
    pub levels: Vec<usize>,
    /// The constant path.
    pub steps: Vec<Step>,
    /// Result type.
    pub out_type: DataType,
    /// Name of the JSON argument's column (which calls are predicted for which column).
    pub column: String,
}

impl Sig {
    /// The signature of a call, or `None` when the call cannot be fused: a result that is
    /// not one scalar per row, a JSON argument that is a constant or a dictionary, a path
    /// argument that is a column or NULL.
    pub fn of(
        op: Op,
        case_insensitive: bool,
        levels: &[usize],
        args: &[ColumnarValue],
        column: &str,
        out_type: &DataType,
    ) -> Result<Option<Sig>> {
        if RowSink::new(op, 0).is_none() {
            return Ok(None);
        }
        let Some(ColumnarValue::Array(a)) = args.first() else {
            return Ok(None);
        };
        if JsonColumn::try_new(a).is_none() {
            return Ok(None);
        }
        let Some(steps) = const_steps(&args[1..])? else {
            return Ok(None);
        };
        Ok(Some(Sig {
            op,
            case_insensitive,
            levels: levels.to_vec(),
            steps,
            out_type: out_type.clone(),
            column: column.to_string(),
        }))
    }
}

impl Sig {
    /// The path's keys, `None` when some step is an index.
    fn keys(&self) -> Option<Vec<&[u8]>> {
        self.steps
            .iter()
            .map(|st| match st {
                Step::Key(k) => Some(k.as_slice()),
                Step::Index(_) => None,
            })
            .collect()
    }
}

/// A column seen on this thread and the results computed for it.
struct Entry {
    /// Keeps the column's buffers alive (so `id` stays unique) and serves its rows.
    array: ArrayRef,
    id: Identity,
    results: Vec<(Rc<Sig>, ArrayRef)>,
    /// For a filtered copy: the evaluated columns its rows come from, and per row the
    /// (source, row) it matched.
    origin: Option<Origin>,
}

struct Origin {
    sources: Vec<Rc<RefCell<Entry>>>,
    rows: Vec<(usize, usize)>,
}

/// Signatures seen recently, with the column generation that last used them.
struct State {
    generation: u64,
    seen: Vec<(Rc<Sig>, u64)>,
    entries: Vec<Rc<RefCell<Entry>>>,
}

thread_local! {
    static STATE: RefCell<State> = const {
        RefCell::new(State { generation: 0, seen: Vec::new(), entries: Vec::new() })
    };
}

/// Columns kept per thread.
const CAPACITY: usize = 4;
/// Signatures remembered per thread.
const MAX_SEEN: usize = 64;
/// A signature is predicted for columns up to this many generations after its last use.
const PREDICT_WINDOW: u64 = 2;

/// The result of the call `sig` on `column`: computed now (with the other signatures
/// recently seen on columns of that name) or taken from an earlier pass over this column or
/// over the column it is a filtered copy of.
pub fn evaluate(sig: Sig, column: &ArrayRef) -> Result<ArrayRef> {
    STATE.with(|st| {
        let mut st = st.borrow_mut();
        let entry = st.entry_for(column);
        let sig = st.note(sig);
        if let Some((_, a)) = entry.borrow().results.iter().find(|(s, _)| **s == *sig) {
            return Ok(Arc::clone(a));
        }
        let sources = match &entry.borrow().origin {
            Some(o) => o.sources.iter().map(Rc::clone).collect::<Vec<_>>(),
            None => Vec::new(),
        };
        if sources.is_empty() {
            return st.ensure(&entry, &sig);
        }
        let parts: Vec<ArrayRef> = sources
            .iter()
            .map(|s| st.ensure(s, &sig))
            .collect::<Result<_>>()?;
        let out = {
            let e = entry.borrow();
            let rows: &[(usize, usize)] = e.origin.as_ref().map_or(&[], |o| &o.rows);
            if parts.len() == 1 {
                let idx = UInt32Array::from_iter_values(rows.iter().map(|&(_, r)| r as u32));
                take(&parts[0], &idx, None)?
            } else {
                let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
                interleave(&refs, rows)?
            }
        };
        entry.borrow_mut().results.push((sig, Arc::clone(&out)));
        Ok(out)
    })
}

/// Forgets this thread's columns and their results (the remembered signatures stay).
pub fn clear_thread_columns() {
    STATE.with(|st| st.borrow_mut().entries.clear());
}

impl State {
    /// Records a use of `sig` in the current generation; returns the shared copy.
    fn note(&mut self, sig: Sig) -> Rc<Sig> {
        let generation = self.generation;
        if let Some((s, g)) = self.seen.iter_mut().find(|(s, _)| **s == sig) {
            *g = generation;
            return Rc::clone(s);
        }
        let s = Rc::new(sig);
        self.seen.push((Rc::clone(&s), generation));
        if self.seen.len() > MAX_SEEN {
            self.seen.remove(0);
        }
        s
    }

    /// The entry of `column`: an existing one, a new filtered copy of evaluated columns, or
    /// a new column (which starts a generation).
    fn entry_for(&mut self, column: &ArrayRef) -> Rc<RefCell<Entry>> {
        let id = identity(column);
        if let Some(e) = self.entries.iter().find(|e| e.borrow().id == id) {
            return Rc::clone(e);
        }
        let roots: Vec<Rc<RefCell<Entry>>> = self
            .entries
            .iter()
            .filter(|e| {
                let e = e.borrow();
                e.origin.is_none() && e.id.data_type == id.data_type
            })
            .map(Rc::clone)
            .collect();
        let origin = match_copy(column, &roots);
        if origin.is_none() {
            self.generation += 1;
        }
        let e = Rc::new(RefCell::new(Entry {
            array: Arc::clone(column),
            id,
            results: Vec::new(),
            origin,
        }));
        self.entries.insert(0, Rc::clone(&e));
        self.entries.truncate(CAPACITY);
        e
    }

    /// The result of `sig` on root entry `entry`, computing it (with every other signature
    /// predicted for this column) when missing.
    fn ensure(&self, entry: &Rc<RefCell<Entry>>, sig: &Rc<Sig>) -> Result<ArrayRef> {
        if let Some((_, a)) = entry.borrow().results.iter().find(|(s, _)| **s == **sig) {
            return Ok(Arc::clone(a));
        }
        let mut e = entry.borrow_mut();
        let mut todo: Vec<Rc<Sig>> = vec![Rc::clone(sig)];
        for (s, g) in &self.seen {
            if g + PREDICT_WINDOW >= self.generation
                && s.column == sig.column
                && **s != **sig
                && !e.results.iter().any(|(r, _)| **r == **s)
            {
                todo.push(Rc::clone(s));
            }
        }
        let arrays = eval_pass(&e.array, &todo)?;
        let out = Arc::clone(&arrays[0]);
        e.results.extend(todo.into_iter().zip(arrays));
        Ok(out)
    }
}

/// Matches every row of `column`, in order, against the rows of `roots` (as a filter keeps
/// them); `None` as soon as a row is found in none of them.
fn match_copy(column: &ArrayRef, roots: &[Rc<RefCell<Entry>>]) -> Option<Origin> {
    if roots.is_empty() {
        return None;
    }
    let col = JsonColumn::try_new(column)?;
    let borrowed: Vec<std::cell::Ref<'_, Entry>> = roots.iter().map(|r| r.borrow()).collect();
    let mut sources: Vec<(JsonColumn<'_>, usize)> = Vec::with_capacity(borrowed.len());
    for b in &borrowed {
        sources.push((JsonColumn::try_new(&b.array)?, 0));
    }
    let k = sources.len();
    let mut current = 0usize;
    let mut rows = Vec::with_capacity(col.len());
    for i in 0..col.len() {
        let bytes = col.bytes(i);
        let null = col.is_null(i);
        let hit = (0..k).map(|d| (current + d) % k).find_map(|s| {
            let (oc, cursor) = &mut sources[s];
            let mut c = *cursor;
            let r = match_row(oc, bytes, &mut c)?;
            // NULL-ness must match too (a NULL row's bytes are usually empty).
            (oc.is_null(r) == null).then(|| {
                *cursor = c;
                (s, r)
            })
        });
        let (s, r) = hit?;
        current = s;
        rows.push((s, r));
    }
    drop(borrowed);
    Some(Origin {
        sources: roots.iter().map(Rc::clone).collect(),
        rows,
    })
}

/// One call of a pass: its result column, its path and, when its value can be read from
/// the parse's [`PathHits`], the trie nodes to read.
struct Call<'s> {
    sink: RowSink,
    steps: Vec<StepRef<'s>>,
    levels: &'s [usize],
    case_insensitive: bool,
    direct: Option<Direct>,
}

/// Evaluates every signature of `sigs` over all rows of `column` in one pass; each row is
/// parsed once into a reused tape.
fn eval_pass(column: &ArrayRef, sigs: &[Rc<Sig>]) -> Result<Vec<ArrayRef>> {
    let Some(col) = JsonColumn::try_new(column) else {
        return Err(datafusion::error::DataFusionError::Internal(
            "fused JSON evaluation of a non-string column".into(),
        ));
    };
    let rows = col.len();
    let check = col.needs_utf8_check();
    let paths = path_set(sigs);
    let mut calls: Vec<Call<'_>> = Vec::with_capacity(sigs.len());
    for s in sigs {
        let Some(sink) = RowSink::new(s.op, rows) else {
            return Err(datafusion::error::DataFusionError::Internal(format!(
                "fused JSON evaluation of {:?}",
                s.op
            )));
        };
        calls.push(Call {
            sink,
            steps: s.steps.iter().map(Step::as_ref).collect(),
            levels: &s.levels,
            case_insensitive: s.case_insensitive,
            direct: paths.as_ref().and_then(|p| Direct::of(s, p)),
        });
    }
    let mut found = PathHits::new();
    // The members of this batch's documents so far (their keys are predicted).
    let mut shape = Shape::new();
    let mut nodes = Vec::with_capacity(64);
    let mut scratch = Scratch::default();
    for row in 0..rows {
        if col.is_null(row) {
            for c in &mut calls {
                c.sink.push(Found::Null);
            }
            continue;
        }
        let bytes = col.bytes(row);
        nodes.clear();
        let valid = match &paths {
            Some(p) => {
                (!check || std::str::from_utf8(bytes).is_ok())
                    && parse_selected(bytes, p, &mut shape, &mut nodes, &mut found).is_ok()
            }
            None => parse_row(bytes, check, &mut nodes),
        };
        if !valid {
            for c in &mut calls {
                c.sink.push(Found::Missing);
            }
            continue;
        }
        let doc = Doc {
            bytes,
            nodes: &nodes,
        };
        for c in &mut calls {
            match c.direct.as_ref().map(|d| d.lookup(doc, &found)) {
                Some(Lookup::Hit(at)) => c.sink.push_value(doc, at),
                Some(Lookup::Missing) => c.sink.push(Found::Missing),
                Some(Lookup::Resolve) | None => {
                    let opts = Options {
                        levels: c.levels,
                        case_insensitive: c.case_insensitive,
                    };
                    let sink = &mut c.sink;
                    resolve(doc, &c.steps, opts, &mut scratch, &mut |f| sink.push(f));
                }
            }
        }
    }
    calls
        .into_iter()
        .zip(sigs)
        .map(|(c, s)| c.sink.finish(&s.out_type))
        .collect()
}

/// What [`Direct::lookup`] finds out from the [`PathHits`] table.
enum Lookup {
    /// [`resolve`] would take the value at this tape index as it is.
    Hit(usize),
    /// [`resolve`] would find nothing ([`Found::Missing`]).
    Missing,
    /// Only [`resolve`] can tell (a nesting level goes through a string, a number or a
    /// boolean, whose text is parsed again, or the value holds a double).
    Resolve,
}

/// A call whose value is read from the parse's [`PathHits`] table (`select.rs`) instead of
/// being looked up member by member, when that gives what [`resolve`] gives.
struct Direct {
    /// Trie node of the whole path.
    target: usize,
    /// Trie nodes where a nesting level ends (before the last level).
    boundaries: Vec<usize>,
    /// More than one level.
    nested: bool,
}

impl Direct {
    /// The trie nodes of `sig`'s key path in `paths` (`None` for index steps).
    fn of(sig: &Sig, paths: &PathSet) -> Option<Direct> {
        let keys = sig.keys()?;
        let mut boundaries = Vec::new();
        let mut acc = 0usize;
        for &n in &sig.levels[..sig.levels.len().saturating_sub(1)] {
            acc += n;
            boundaries.push(paths.node_of(keys.get(..acc)?)?);
        }
        Some(Direct {
            target: paths.node_of(&keys)?,
            boundaries,
            nested: sig.levels.len() > 1,
        })
    }

    /// What [`resolve`] would give, when the table tells: it walks the path level by
    /// level and gives [`Found::Missing`] as soon as a key is not found; at the end of a
    /// level whose value is not a container it parses the text `JSONExtractString` gives
    /// for it (for `null`, the empty string: invalid, so missing); a nested call's value
    /// holding a double is re-parsed too.
    #[inline]
    fn lookup(&self, doc: Doc<'_>, found: &PathHits) -> Lookup {
        if self.nested {
            for &b in &self.boundaries {
                let i = found[b];
                if i == NOT_FOUND {
                    return Lookup::Missing;
                }
                let i = i as usize;
                match doc.bytes.get(doc.node(i).start()) {
                    Some(b'{' | b'[') => {}
                    Some(b'n') => return Lookup::Missing,
                    _ => return Lookup::Resolve,
                }
            }
        }
        let at = found[self.target];
        if at == NOT_FOUND {
            return Lookup::Missing;
        }
        let at = at as usize;
        if self.nested && doc.node(at).has_double() {
            return Lookup::Resolve;
        }
        Lookup::Hit(at)
    }
}

/// The key paths of `sigs` when every call follows constant keys compared exactly (then
/// rows get selective tapes: `select.rs`); `None` when some call uses an index or
/// case-insensitive keys, whose lookups may visit any member.
fn path_set(sigs: &[Rc<Sig>]) -> Option<PathSet> {
    let mut paths = PathSet::new();
    for s in sigs {
        if s.case_insensitive {
            return None;
        }
        let keys = s.keys()?;
        paths.add(&keys, &s.levels);
    }
    Some(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, StringArray};
    use datafusion::arrow::compute::{concat, filter};
    use datafusion::common::ScalarValue;

    use crate::json::eval::for_each_row;

    /// The same call through the ordinary per-call driver (tape cache, no fusion).
    fn direct(sig: &Sig, col: &ArrayRef) -> ArrayRef {
        let mut args = vec![ColumnarValue::Array(Arc::clone(col))];
        for s in &sig.steps {
            args.push(ColumnarValue::Scalar(match s {
                Step::Key(k) => ScalarValue::Utf8(Some(String::from_utf8_lossy(k).into_owned())),
                Step::Index(i) => ScalarValue::Int64(Some(*i)),
            }));
        }
        let mut sink = RowSink::new(sig.op, col.len()).expect("scalar op");
        let opts = Options {
            levels: &sig.levels,
            case_insensitive: sig.case_insensitive,
        };
        for_each_row(&args, sig.steps.len(), col.len(), opts, |f| sink.push(f)).expect("rows");
        sink.finish(&sig.out_type).expect("finish")
    }

    fn sig(op: Op, levels: &[usize], keys: &[&str], out_type: DataType) -> Sig {
        Sig {
            op,
            case_insensitive: false,
            levels: levels.to_vec(),
            steps: keys
                .iter()
                .map(|k| Step::Key(k.as_bytes().to_vec()))
                .collect(),
            out_type,
            column: "payload".into(),
        }
    }

    fn sigs() -> Vec<Sig> {
        vec![
            sig(Op::ExtractString, &[1], &["op"], DataType::Utf8),
            sig(Op::ExtractUInt, &[1, 1], &["after", "id"], DataType::UInt64),
            sig(Op::ExtractString, &[1, 1], &["after", "d"], DataType::Utf8),
            sig(Op::ExtractRaw, &[1], &["after"], DataType::Utf8),
            sig(
                Op::ExtractFloat,
                &[1, 1],
                &["after", "x"],
                DataType::Float64,
            ),
            sig(Op::Has, &[1], &["before"], DataType::UInt8),
        ]
    }

    fn rows(prefix: &str) -> Vec<Option<String>> {
        (0..40)
            .map(|i| match i % 12 {
                0 => None,
                1 => Some(format!("{{\"op\":\"{prefix}{i}\",\"after\":\"{{\\\"id\\\":{i}}}\"}}")),
                2 => Some(format!("{{\"op\":\"d\",\"after\":{{\"id\":{i},\"x\":1.5e0}}")),
                3 => Some(String::new()),
                4 => Some(format!("{{\"before\":null,\"after\":{{\"d\":\"2025-09-{i:02}\",\"id\":-{i}}},\"op\":\"{prefix}\"}}")),
                5 => Some(format!("[{i}]")),
                7 => Some(format!("{{\"op\":\"d\",\"after\":null,\"before\":{{\"id\":{i}}}}}")),
                8 => Some(format!("{{\"after\":[{{\"id\":{i}}}],\"op\":\"{prefix}\"}}")),
                9 => Some(format!("{{\"after\":{i},\"op\":true}}")),
                10 => Some(format!("{{\"after\":{{\"idx\":{i},\"d\":\"a\\\"b\"}},\"op\":\"c\"}}")),
                11 => Some(format!("{{\"after\":{{\"id\":1844674407370955161{},\"d\":\"\"}},\"op\":\"\"}}", i % 10)),
                _ => Some(format!("{{\"op\":\"c\",\"after\":{{\"id\":{i},\"x\":{i}}}}}")),
            })
            .collect()
    }

    fn column(v: &[Option<String>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    /// Every call gives what the per-call driver gives, on a column, on its filtered copy
    /// (results gathered from the column's) and on a copy that merges two columns.
    #[test]
    fn fused_results_equal_per_call_results() {
        clear_thread_columns();
        let a = column(&rows("c"));
        let b = column(&rows("u"));
        let keep = BooleanArray::from((0..40).map(|i| i % 3 != 0).collect::<Vec<_>>());
        let fa = filter(&a, &keep).expect("filter");
        let fb = filter(&b, &keep).expect("filter");
        let merged = concat(&[fa.as_ref(), fb.as_ref()]).expect("concat");
        for round in 0..2 {
            for col in [&a, &fa, &b, &fb, &merged] {
                for s in sigs() {
                    let want = direct(&s, col);
                    let got = evaluate(s.clone(), col).expect("fused");
                    assert_eq!(&got, &want, "round {round} {s:?}");
                }
            }
        }
    }

    /// A NULL row is not matched against an empty string with the same bytes.
    #[test]
    fn null_rows_match_only_null_rows() {
        clear_thread_columns();
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some(""), None, Some("{}")]));
        let s = sig(Op::Has, &[], &[], DataType::UInt8);
        assert_eq!(&evaluate(s.clone(), &a).expect("fused"), &direct(&s, &a));
        let b: ArrayRef = Arc::new(StringArray::from(vec![None, Some("{}")]));
        let got = evaluate(s.clone(), &b).expect("fused");
        assert_eq!(&got, &direct(&s, &b));
        assert!(got.is_null(0));
    }
}
