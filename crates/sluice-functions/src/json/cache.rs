//! Parse-once cache: the tapes of every row of a JSON column, kept per thread for the last
//! three columns seen, so that the several `JSONExtract*` calls a view stacks on one column
//! (and the filter that ran before the projection) parse each document once.
//!
//! A column is recognised by the identity of its Arrow buffers (pointers, offset, length);
//! the cache holds a reference to those buffers, so their memory cannot be reused by another
//! column while the entry lives and a pointer match always means the same bytes. A column
//! that is a *filtered copy* of a cached one (DataFusion's `FilterExec` copies the surviving
//! rows) is recognised row by row: rows are matched in order against the cached column by
//! comparing their bytes, and a matched row reuses its tape without parsing.

use std::cell::RefCell;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryViewArray, LargeBinaryArray, LargeStringArray,
    StringArray, StringViewArray,
};
use datafusion::arrow::datatypes::DataType;

use super::doc::Doc;
use super::tape::{Node, parse};

/// A column of JSON documents (any Arrow string or binary layout).
#[derive(Clone, Copy)]
pub enum JsonColumn<'a> {
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Binary(&'a BinaryArray),
    LargeBinary(&'a LargeBinaryArray),
    BinaryView(&'a BinaryViewArray),
}

impl<'a> JsonColumn<'a> {
    /// Views `array` as a JSON column; `None` for other types.
    pub fn try_new(array: &'a ArrayRef) -> Option<Self> {
        Some(match array.data_type() {
            DataType::Utf8 => JsonColumn::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => JsonColumn::LargeUtf8(array.as_string::<i64>()),
            DataType::Utf8View => JsonColumn::Utf8View(array.as_string_view()),
            DataType::Binary => JsonColumn::Binary(array.as_binary::<i32>()),
            DataType::LargeBinary => JsonColumn::LargeBinary(array.as_binary::<i64>()),
            DataType::BinaryView => JsonColumn::BinaryView(array.as_binary_view()),
            _ => return None,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            JsonColumn::Utf8(a) => a.len(),
            JsonColumn::LargeUtf8(a) => a.len(),
            JsonColumn::Utf8View(a) => a.len(),
            JsonColumn::Binary(a) => a.len(),
            JsonColumn::LargeBinary(a) => a.len(),
            JsonColumn::BinaryView(a) => a.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of row `i` (nulls read as their underlying, normally empty, bytes).
    #[inline]
    pub fn bytes(&self, i: usize) -> &'a [u8] {
        match self {
            JsonColumn::Utf8(a) => a.value(i).as_bytes(),
            JsonColumn::LargeUtf8(a) => a.value(i).as_bytes(),
            JsonColumn::Utf8View(a) => a.value(i).as_bytes(),
            JsonColumn::Binary(a) => a.value(i),
            JsonColumn::LargeBinary(a) => a.value(i),
            JsonColumn::BinaryView(a) => a.value(i),
        }
    }

    /// Whether row `i` is NULL.
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        match self {
            JsonColumn::Utf8(a) => a.is_null(i),
            JsonColumn::LargeUtf8(a) => a.is_null(i),
            JsonColumn::Utf8View(a) => a.is_null(i),
            JsonColumn::Binary(a) => a.is_null(i),
            JsonColumn::LargeBinary(a) => a.is_null(i),
            JsonColumn::BinaryView(a) => a.is_null(i),
        }
    }

    /// Whether rows may hold invalid UTF-8 (binary layouts).
    pub(crate) fn needs_utf8_check(&self) -> bool {
        matches!(
            self,
            JsonColumn::Binary(_) | JsonColumn::LargeBinary(_) | JsonColumn::BinaryView(_)
        )
    }
}

/// Identity of a column's contents: buffer addresses, offset, length, type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    ptrs: Vec<usize>,
    offset: usize,
    len: usize,
    pub(crate) data_type: DataType,
}

pub(crate) fn identity(array: &ArrayRef) -> Identity {
    let data = array.to_data();
    Identity {
        ptrs: data.buffers().iter().map(|b| b.as_ptr() as usize).collect(),
        offset: data.offset(),
        len: data.len(),
        data_type: data.data_type().clone(),
    }
}

const INVALID: u32 = u32::MAX;

/// The tapes of every row of one column.
pub struct Parsed {
    /// Keeps the column's buffers alive (so [`Identity`] stays unique) and serves row bytes.
    array: ArrayRef,
    id: Identity,
    /// Per row: start of its tape in `nodes`, or [`INVALID`].
    starts: Vec<u32>,
    /// Per row: tape length.
    lens: Vec<u32>,
    nodes: Vec<Node>,
}

impl Parsed {
    /// The column these tapes belong to.
    pub fn column(&self) -> JsonColumn<'_> {
        // The array's type was accepted by `JsonColumn::try_new` when this was built.
        match JsonColumn::try_new(&self.array) {
            Some(c) => c,
            None => unreachable_column(),
        }
    }

    /// The parsed document of row `i`, `None` when it is not valid JSON.
    #[inline]
    pub fn doc<'s>(&'s self, col: &JsonColumn<'s>, i: usize) -> Option<Doc<'s>> {
        let s = self.starts[i];
        if s == INVALID {
            return None;
        }
        let s = s as usize;
        Some(Doc {
            bytes: col.bytes(i),
            nodes: &self.nodes[s..s + self.lens[i] as usize],
        })
    }

    fn parse_all(array: ArrayRef, id: Identity, reuse: &[Arc<Parsed>]) -> Parsed {
        let col = match JsonColumn::try_new(&array) {
            Some(c) => c,
            None => unreachable_column(),
        };
        let n = col.len();
        let mut out = Parsed {
            starts: Vec::with_capacity(n),
            lens: Vec::with_capacity(n),
            nodes: Vec::with_capacity(reuse.first().map_or(n * 8, |r| r.nodes.len())),
            array: Arc::clone(&array),
            id,
        };
        let check = col.needs_utf8_check();
        // Candidate sources with a cursor each; rows are looked up in the source that
        // matched last first (a coalesced filter output spans consecutive input batches).
        let mut sources: Vec<(&Parsed, JsonColumn<'_>, usize)> =
            reuse.iter().map(|r| (&**r, r.column(), 0)).collect();
        let mut current = 0usize;
        let mut misses = 0usize;
        for i in 0..n {
            let bytes = col.bytes(i);
            if !sources.is_empty() {
                let k = sources.len();
                let hit = (0..k).map(|d| (current + d) % k).find_map(|s| {
                    let (_, oc, cursor) = &mut sources[s];
                    match_row(oc, bytes, cursor).map(|row| (s, row))
                });
                if let Some((s, row)) = hit {
                    current = s;
                    out.push_copy(sources[s].0, row);
                    continue;
                }
                misses += 1;
                if misses > MAX_MISSES {
                    // Not a filtered copy of anything cached: stop looking.
                    sources.clear();
                }
            }
            out.push_parsed(bytes, check);
        }
        out
    }

    fn push_parsed(&mut self, bytes: &[u8], check_utf8: bool) {
        let base = self.nodes.len();
        let ok = parse_row(bytes, check_utf8, &mut self.nodes);
        if ok {
            self.starts.push(base as u32);
            self.lens.push((self.nodes.len() - base) as u32);
        } else {
            self.nodes.truncate(base);
            self.starts.push(INVALID);
            self.lens.push(0);
        }
    }

    fn push_copy(&mut self, from: &Parsed, row: usize) {
        let s = from.starts[row];
        if s == INVALID {
            self.starts.push(INVALID);
            self.lens.push(0);
            return;
        }
        let base = self.nodes.len();
        let len = from.lens[row] as usize;
        self.nodes
            .extend_from_slice(&from.nodes[s as usize..s as usize + len]);
        self.starts.push(base as u32);
        self.lens.push(len as u32);
    }
}

/// Validates one row (UTF-8 too when `check_utf8`, for binary layouts) and appends its tape
/// to `nodes`; `false` when it is not a valid document.
#[inline]
pub(crate) fn parse_row(bytes: &[u8], check_utf8: bool, nodes: &mut Vec<Node>) -> bool {
    (!check_utf8 || std::str::from_utf8(bytes).is_ok()) && parse(bytes, nodes).is_ok()
}

/// How far ahead in a cached column a row is looked for before giving up on it.
pub(crate) const MATCH_WINDOW: usize = 4096;

/// Rows not found in any cached column before matching is abandoned for a column.
const MAX_MISSES: usize = 8;

/// Finds `bytes` in `old` at or after `*j` (rows are matched in order, as a filter keeps
/// them); on success advances `*j` past the match.
#[inline]
pub(crate) fn match_row(old: &JsonColumn<'_>, bytes: &[u8], j: &mut usize) -> Option<usize> {
    let end = old.len().min(*j + MATCH_WINDOW);
    let mut k = *j;
    while k < end {
        let ob = old.bytes(k);
        if ob.len() == bytes.len() && ob == bytes {
            *j = k + 1;
            return Some(k);
        }
        k += 1;
    }
    None
}

fn unreachable_column() -> JsonColumn<'static> {
    static EMPTY: std::sync::OnceLock<StringArray> = std::sync::OnceLock::new();
    JsonColumn::Utf8(EMPTY.get_or_init(|| StringArray::from(Vec::<&str>::new())))
}

thread_local! {
    static CACHE: RefCell<Vec<Arc<Parsed>>> = const { RefCell::new(Vec::new()) };
}

/// Entries kept per thread.
const CAPACITY: usize = 3;

/// The tapes of `array` (a string or binary column): from this thread's cache when the same
/// column (or a filtered copy of a cached one) was seen last, else parsed now and cached.
pub fn parsed(array: &ArrayRef) -> Arc<Parsed> {
    let id = identity(array);
    let (hit, prev) = CACHE.with(|c| {
        let c = c.borrow();
        let hit = c.iter().find(|p| p.id == id).cloned();
        (hit, c.clone())
    });
    if let Some(p) = hit {
        return p;
    }
    let reuse: Vec<Arc<Parsed>> = prev
        .into_iter()
        .filter(|p| p.id.data_type == id.data_type)
        .collect();
    let p = Arc::new(Parsed::parse_all(Arc::clone(array), id, &reuse));
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.insert(0, Arc::clone(&p));
        c.truncate(CAPACITY);
    });
    p
}

/// Forgets this thread's cached tapes and the columns they keep alive. A Kafka consumer
/// thread calls it after each block: the next block never matches the last one's columns,
/// and holding them would keep a whole block of payloads (and tapes of about the same size)
/// in memory while the next block is read.
pub fn clear_thread_cache() {
    CACHE.with(|c| c.borrow_mut().clear());
    super::fused::clear_thread_columns();
}

/// Parses `array` without touching the cache (for one-off columns such as constants).
pub fn parsed_uncached(array: &ArrayRef) -> Parsed {
    Parsed::parse_all(Arc::clone(array), identity(array), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_column_hits_and_filtered_copy_reuses_tapes() {
        let a: ArrayRef = Arc::new(StringArray::from(vec!["{\"a\":1}", "bad", "[1,2]", "{}"]));
        let p1 = parsed(&a);
        let p2 = parsed(&a);
        assert!(Arc::ptr_eq(&p1, &p2));
        let filtered: ArrayRef = Arc::new(StringArray::from(vec!["bad", "{}"]));
        let p3 = parsed(&filtered);
        let col = p3.column();
        assert!(p3.doc(&col, 0).is_none());
        let d = p3.doc(&col, 1).map(|d| d.nodes.len());
        assert_eq!(d, Some(1));
        let sliced = a.slice(2, 1);
        let p4 = parsed(&sliced);
        let col = p4.column();
        assert_eq!(p4.doc(&col, 0).map(|d| d.len(0)), Some(2));
    }

    /// A coalesced filter output: rows from two cached batches, in order.
    #[test]
    fn coalesced_copy_reuses_both_sources() {
        let a1: ArrayRef = Arc::new(StringArray::from(vec!["[1]", "[1,2]", "[1,2,3]"]));
        let a2: ArrayRef = Arc::new(StringArray::from(vec!["{}", "{\"a\":[]}"]));
        let _ = parsed(&a1);
        let _ = parsed(&a2);
        let b: ArrayRef = Arc::new(StringArray::from(vec!["[1,2]", "[1,2,3]", "{\"a\":[]}"]));
        let p = parsed(&b);
        let col = p.column();
        let lens: Vec<Option<usize>> = (0..3).map(|i| p.doc(&col, i).map(|d| d.len(0))).collect();
        assert_eq!(lens, [Some(2), Some(3), Some(1)]);
    }
}
