//! Writing a part (`tmp_*` directory → Parquet + manifest → fsync → rename → fsync of the
//! table directory) and reading one back as batches in the table's current schema.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::hash::Hasher;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, Encoding, ZstdLevel};
use datafusion::parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesBuilder,
};
use datafusion::parquet::schema::types::ColumnPath;
use sluice_common::{ChType, Error, ErrorCode, Result};
use twox_hash::XxHash64;

use crate::fsutil::{failpoint, fsync_dir, io_err};
use crate::manifest::{ColumnManifest, DATA_FILE, MANIFEST_FILE, MANIFEST_FORMAT, Manifest};
use crate::page_layout::WidePages;
use crate::part_name::PartName;
use crate::part_stats::PartStats;
use crate::rg_writer::ParallelWriter;

/// Granules per Parquet row group.
const GRANULES_PER_ROW_GROUP: u64 = 16;

/// Granules per page of a merged part's columns outside the sorting and partition keys.
const GRANULES_PER_WIDE_PAGE: u64 = 8;

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::CORRUPTED_DATA,
        format!("Parquet error in {}: {e}", path.display()),
    )
}

/// A `Write` that hashes what passes through (xxHash64 of the whole file).
struct HashingWrite {
    inner: BufWriter<File>,
    hasher: XxHash64,
    written: u64,
}

impl Write for HashingWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.write(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What the caller knows about a part beyond its rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct PartMeta {
    pub(crate) partition: String,
    pub(crate) block_ids: Vec<crate::manifest::BlockId>,
    pub(crate) source_offsets: Vec<crate::manifest::SourceOffset>,
    /// Stored columns read by the partition key (for `min_date`/`max_date`/`min_time`).
    pub(crate) partition_columns: Vec<String>,
    pub(crate) ttl_range: Option<(i64, i64)>,
    pub(crate) has_lightweight_delete: bool,
    pub(crate) drop_marker: bool,
}

/// Writer of one part: batches go straight into `tmp_<name>/data.parquet`.
pub(crate) struct PartWriter {
    table_dir: PathBuf,
    tmp_dir: PathBuf,
    name: PartName,
    schema: SchemaRef,
    writer: Option<ParallelWriter<HashingWrite>>,
    stats: PartStats,
    granularity: u64,
}

/// Rows per Parquet row group: 16 granules.
/// ClickHouse's `min_bytes_for_wide_part` default: smaller parts are `Compact`.
pub(crate) const MIN_BYTES_FOR_WIDE_PART: u64 = 10 * 1024 * 1024;

/// The marks ClickHouse gives a part of `rows` rows: one per granule and a final mark. A
/// `Compact` part's last granule joins the one before when it has less than half
/// `granularity` rows (100,000 rows at 8192: 12 granules and 13 marks; 10 rows at 4:
/// 3 granules and 4 marks).
pub(crate) fn marks(rows: u64, granularity: u64, uncompressed_bytes: u64) -> u64 {
    let g = granularity.max(1);
    let (full, rest) = (rows / g, rows % g);
    let compact = uncompressed_bytes < MIN_BYTES_FOR_WIDE_PART;
    let last = rest > 0 && !(compact && full > 0 && 2 * rest < g);
    full + u64::from(last) + 1
}

pub(crate) fn row_group_rows(granularity: u64) -> usize {
    granularity.max(1) as usize * GRANULES_PER_ROW_GROUP as usize
}

/// Writer properties of parts: ZSTD, pages of `granularity` rows with page statistics
/// (page indexes), row groups of 16 granules. Column writers take a granule at a time
/// (one statistics update, value copy and page-size check per page, not one per 1,024
/// values); the byte budget of a page still splits large string values.
pub(crate) fn writer_properties(granularity: u64) -> WriterPropertiesBuilder {
    let level = ZstdLevel::try_new(1).unwrap_or_default();
    let rg_rows = row_group_rows(granularity);
    let granularity = granularity.max(1) as usize;
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(rg_rows))
        .set_data_page_row_count_limit(granularity)
        .set_write_batch_size(granularity)
        .set_statistics_enabled(EnabledStatistics::Page)
}

/// Fixed-width columns (numbers, dates, times, UUIDs) are written without a dictionary:
/// building the dictionary's hash table was most of an insert's encoding time. Integers,
/// dates and times are delta bit-packed (`DELTA_BINARY_PACKED`): cheap to encode (no
/// hashing), and ZSTD then compresses and decompresses a few bits per value instead of
/// 4 or 8 bytes (decompression was a third of a scan-heavy query's time). Strings and
/// `LowCardinality` keep their dictionaries.
fn plain_fixed_width(
    mut props: WriterPropertiesBuilder,
    schema: &SchemaRef,
) -> WriterPropertiesBuilder {
    for f in schema.fields() {
        let dt = f.data_type();
        if dt.is_primitive() || matches!(dt, DataType::FixedSizeBinary(_) | DataType::Boolean) {
            let path = ColumnPath::from(f.name().as_str());
            props = props.set_column_dictionary_enabled(path.clone(), false);
            if crate::codec::encoding_fits(Encoding::DELTA_BINARY_PACKED, dt) {
                props = props.set_column_encoding(path, Encoding::DELTA_BINARY_PACKED);
            }
        }
    }
    props
}

/// Page statistics (the page index) only for `columns`: range pruning uses the sorting
/// and partition key columns, and computing every other column's per-page min/max was a
/// fifth of an insert's CPU (`compare_greater` over each value).
fn statistics_only_for(
    mut props: WriterPropertiesBuilder,
    schema: &SchemaRef,
    columns: &[String],
) -> WriterPropertiesBuilder {
    for f in schema.fields() {
        if !columns.contains(f.name()) {
            props = props.set_column_statistics_enabled(
                ColumnPath::from(f.name().as_str()),
                EnabledStatistics::None,
            );
        }
    }
    props
}

/// Which columns of a part get page statistics and which get wide pages.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PartLayout<'a> {
    /// With `Some`, only these columns (the sorting and partition keys) get Parquet page
    /// statistics (see [`statistics_only_for`]).
    pub(crate) statistics: Option<&'a [String]>,
    /// The columns outside `statistics` are written as [`wide_pages`] says (merged parts).
    pub(crate) wide_pages: bool,
}

/// A merged part's columns outside the sorting and partition keys: pages of
/// [`GRANULES_PER_WIDE_PAGE`] granules (one granule per page is for the page index,
/// which prunes by the key columns only), and fixed-width values as they are (`PLAIN`,
/// no delta bit-packing), compressed as the part is. Queries read these columns whole;
/// with 8 granules per ZSTD frame, ZSTD finds the repeats across granules and builds its
/// decoding tables once per 65,536 values instead of 8,192, and reading a value is a copy
/// instead of delta decoding (fraud per purchaser: decoding was ~40% of its profile, ZSTD
/// 25% and delta 15%). Inserts keep granule pages and delta bit-packing, which is cheaper
/// to compress for their writer. An explicit `CODEC(...)` still applies to each column.
fn wide_pages(
    props: &WriterPropertiesBuilder,
    schema: &SchemaRef,
    keys: &[String],
    granularity: u64,
    codecs: &[(String, Vec<String>)],
) -> Result<Option<WidePages>> {
    let columns: HashSet<String> = schema
        .fields()
        .iter()
        .map(|f| f.name())
        .filter(|n| !keys.contains(n))
        .cloned()
        .collect();
    if columns.is_empty() {
        return Ok(None);
    }
    let rows = granularity.max(1) as usize * GRANULES_PER_WIDE_PAGE as usize;
    let mut wide = props.clone().set_data_page_row_count_limit(rows);
    for f in schema.fields() {
        let dt = f.data_type();
        if columns.contains(f.name())
            && crate::codec::encoding_fits(Encoding::DELTA_BINARY_PACKED, dt)
        {
            wide = wide.set_column_encoding(ColumnPath::from(f.name().as_str()), Encoding::PLAIN);
        }
    }
    Ok(Some(WidePages {
        props: crate::codec::apply(wide, schema, codecs)?.build(),
        columns,
    }))
}

impl PartWriter {
    /// Starts `tmp_<prefix>_<name>` under `table_dir`.
    pub(crate) fn create(
        table_dir: &Path,
        prefix: &str,
        name: PartName,
        schema: SchemaRef,
        granularity: u64,
        codecs: &[(String, Vec<String>)],
    ) -> Result<Self> {
        let layout = PartLayout::default();
        Self::create_with_layout(table_dir, prefix, name, schema, granularity, codecs, layout)
    }

    /// Like [`PartWriter::create`], with page statistics and page sizes as `layout` says.
    pub(crate) fn create_with_layout(
        table_dir: &Path,
        prefix: &str,
        name: PartName,
        schema: SchemaRef,
        granularity: u64,
        codecs: &[(String, Vec<String>)],
        layout: PartLayout<'_>,
    ) -> Result<Self> {
        let tmp_dir = table_dir.join(format!("tmp_{prefix}_{name}"));
        if tmp_dir.exists() {
            fs::remove_dir_all(&tmp_dir).map_err(|e| io_err("remove", &tmp_dir, e))?;
        }
        fs::create_dir_all(&tmp_dir).map_err(|e| io_err("create directory", &tmp_dir, e))?;
        let path = tmp_dir.join(DATA_FILE);
        let file = File::create(&path).map_err(|e| io_err("create", &path, e))?;
        let sink = HashingWrite {
            inner: BufWriter::with_capacity(1 << 20, file),
            hasher: XxHash64::with_seed(0),
            written: 0,
        };
        let mut props = plain_fixed_width(writer_properties(granularity), &schema);
        let mut wide = None;
        if let Some(columns) = layout.statistics {
            props = statistics_only_for(props, &schema, columns);
            if layout.wide_pages {
                wide = wide_pages(&props, &schema, columns, granularity, codecs)?;
            }
        }
        let props = crate::codec::apply(props, &schema, codecs)?.build();
        let writer = ParallelWriter::try_new(
            sink,
            std::sync::Arc::clone(&schema),
            props,
            wide,
            row_group_rows(granularity),
        )
        .map_err(|e| parquet_err(&path, e))?;
        let stats = PartStats::new(&schema);
        Ok(Self {
            table_dir: table_dir.to_path_buf(),
            tmp_dir,
            name,
            schema,
            stats,
            writer: Some(writer),
            granularity: granularity.max(1),
        })
    }

    /// Rows written so far.
    pub(crate) fn rows(&self) -> u64 {
        self.stats.rows()
    }

    /// Appends a batch (already in the part's schema and order).
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let path = self.tmp_dir.join(DATA_FILE);
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| Error::internal("part writer used after finish"))?;
        writer.write(batch).map_err(|e| parquet_err(&path, e))?;
        self.stats.add(batch);
        Ok(())
    }

    /// Appends the part's last rows: those of `batch` at `idx`, in that order (a sorted
    /// insert block given as its rows and their permutation), or `batch` as it is. With a
    /// permutation, the row groups' encoding jobs gather their rows. The last (partial) row
    /// group's job starts now too, and then the manifest's statistics of `batch` (the same
    /// values in any order) are computed while they run, or taken from `stats` (computed
    /// on a worker beforehand).
    pub(crate) fn write_last(
        &mut self,
        batch: &RecordBatch,
        idx: Option<&UInt32Array>,
        stats: Option<crate::pool::Task<PartStats>>,
    ) -> Result<()> {
        if let Some(idx) = idx
            && idx.len() != batch.num_rows()
        {
            return Err(Error::internal(format!(
                "part writer: a permutation of {} rows for a block of {}",
                idx.len(),
                batch.num_rows()
            )));
        }
        let path = self.tmp_dir.join(DATA_FILE);
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| Error::internal("part writer used after finish"))?;
        match idx {
            Some(idx) => writer.write_gathered(batch, idx),
            None => writer.write(batch),
        }
        .and_then(|()| writer.end_rows())
        .map_err(|e| parquet_err(&path, e))?;
        // The last row groups are still being encoded meanwhile.
        match stats {
            Some(task) => self.stats.merge(task.join().map_err(Error::internal)?)?,
            None => self.stats.add(batch),
        }
        Ok(())
    }

    /// Removes the temporary directory (abandoned merge, failed insert).
    pub(crate) fn abandon(mut self) {
        self.writer = None;
        let _ = fs::remove_dir_all(&self.tmp_dir);
    }

    /// Finishes the Parquet file and the manifest, fsyncs them, renames the directory to
    /// the part name and fsyncs the table directory. Returns the manifest and final path.
    pub(crate) fn commit(self, meta: PartMeta) -> Result<(Manifest, PathBuf)> {
        self.prepare(meta)?.publish()
    }

    /// Finishes the Parquet file and the manifest and fsyncs them under the temporary
    /// name; [`PreparedPart::publish`] makes the part visible (several parts of one insert
    /// are published together through [`crate::insert_txn`]).
    pub(crate) fn prepare(mut self, meta: PartMeta) -> Result<PreparedPart> {
        let path = self.tmp_dir.join(DATA_FILE);
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| Error::internal("part writer committed twice"))?;
        let md = writer.finish().map_err(|e| parquet_err(&path, e))?;
        let sink = writer.inner_mut();
        sink.flush().map_err(|e| io_err("write", &path, e))?;
        sink.inner
            .get_ref()
            .sync_all()
            .map_err(|e| Error::new(ErrorCode::CANNOT_FSYNC, format!("{}: {e}", path.display())))?;
        let data_size = sink.written;
        let data_xxh64 = format!("{:016x}", sink.hasher.finish());
        drop(writer);
        failpoint("part_data_written");
        let uncompressed_bytes: u64 = md
            .row_groups()
            .iter()
            .flat_map(|rg| rg.columns().iter())
            .map(|c| c.uncompressed_size().max(0) as u64)
            .sum();
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        for (i, f) in self.schema.fields().iter().enumerate() {
            let (min, max) = self.stats.min_max_text(i);
            columns.push(ColumnManifest {
                name: f.name().clone(),
                ch_type: ChType::from_field(f).to_string(),
                min,
                max,
                null_count: self.stats.null_count(i),
            });
        }
        let (mut min_date, mut max_date, mut min_time, mut max_time) = (None, None, None, None);
        for name in &meta.partition_columns {
            let Some((i, f)) = self.schema.column_with_name(name) else {
                continue;
            };
            let (Some(lo), Some(hi)) = (&columns[i].min, &columns[i].max) else {
                continue;
            };
            match ChType::from_field(f).non_nullable() {
                ChType::Date if min_date.is_none() => {
                    min_date = days_of(lo);
                    max_date = days_of(hi);
                }
                ChType::DateTime(_) if min_time.is_none() => {
                    min_time = secs_of(lo, f.data_type());
                    max_time = secs_of(hi, f.data_type());
                }
                _ => {}
            }
        }
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            name: self.name.to_string(),
            partition_id: self.name.partition_id.clone(),
            partition: meta.partition,
            rows: self.stats.rows(),
            data_size,
            data_xxh64,
            uncompressed_bytes,
            marks: marks(self.stats.rows(), self.granularity, uncompressed_bytes),
            columns,
            min_date,
            max_date,
            min_time,
            max_time,
            ttl_min: meta.ttl_range.map(|r| r.0),
            ttl_max: meta.ttl_range.map(|r| r.1),
            block_ids: meta.block_ids,
            source_offsets: meta.source_offsets,
            created: chrono::Utc::now().timestamp(),
            has_lightweight_delete: meta.has_lightweight_delete,
            drop_marker: meta.drop_marker,
        };
        let mpath = self.tmp_dir.join(MANIFEST_FILE);
        {
            let mut f = File::create(&mpath).map_err(|e| io_err("create", &mpath, e))?;
            f.write_all(&manifest.to_bytes()?)
                .map_err(|e| io_err("write", &mpath, e))?;
            f.sync_all().map_err(|e| {
                Error::new(ErrorCode::CANNOT_FSYNC, format!("{}: {e}", mpath.display()))
            })?;
        }
        fsync_dir(&self.tmp_dir)?;
        Ok(PreparedPart {
            table_dir: self.table_dir.clone(),
            tmp_dir: self.tmp_dir.clone(),
            final_dir: self.table_dir.join(self.name.to_string()),
            manifest: Some(manifest),
        })
    }
}

/// A part written and fsynced under its temporary name, not yet visible. Dropping it
/// unpublished removes the temporary directory.
pub(crate) struct PreparedPart {
    table_dir: PathBuf,
    tmp_dir: PathBuf,
    final_dir: PathBuf,
    manifest: Option<Manifest>,
}

impl PreparedPart {
    /// The temporary directory's name (inside the table directory).
    pub(crate) fn tmp_name(&self) -> String {
        file_name(&self.tmp_dir)
    }

    /// The part's final directory name.
    pub(crate) fn final_name(&self) -> String {
        file_name(&self.final_dir)
    }

    /// Renames the directory to the part name and fsyncs the table directory.
    pub(crate) fn publish(mut self) -> Result<(Manifest, PathBuf)> {
        self.rename()?;
        fsync_dir(&self.table_dir)?;
        let manifest = self
            .manifest
            .take()
            .ok_or_else(|| Error::internal("part published twice"))?;
        Ok((manifest, self.final_dir.clone()))
    }

    /// The rename alone (the caller fsyncs the directory once for several parts).
    pub(crate) fn rename(&mut self) -> Result<()> {
        failpoint("part_before_rename");
        fs::rename(&self.tmp_dir, &self.final_dir)
            .map_err(|e| io_err("rename", &self.tmp_dir, e))?;
        failpoint("part_after_rename");
        Ok(())
    }

    /// After [`Self::rename`]: the manifest and final path.
    pub(crate) fn into_published(mut self) -> Result<(Manifest, PathBuf)> {
        let manifest = self
            .manifest
            .take()
            .ok_or_else(|| Error::internal("part published twice"))?;
        Ok((manifest, self.final_dir.clone()))
    }
}

impl Drop for PreparedPart {
    fn drop(&mut self) {
        if self.manifest.is_some() && self.tmp_dir.exists() {
            let _ = fs::remove_dir_all(&self.tmp_dir);
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = fs::remove_dir_all(&self.tmp_dir);
        }
    }
}

fn days_of(text: &str) -> Option<i32> {
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some((d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days() as i32)
}

fn secs_of(text: &str, dt: &datafusion::arrow::datatypes::DataType) -> Option<i64> {
    use datafusion::arrow::array::{AsArray, StringArray};
    use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampSecondType};
    let arr: ArrayRef = std::sync::Arc::new(StringArray::from(vec![text]));
    let target = match dt {
        DataType::Timestamp(TimeUnit::Second, tz) => {
            DataType::Timestamp(TimeUnit::Second, tz.clone())
        }
        _ => return None,
    };
    let ts = datafusion::arrow::compute::cast(&arr, &target).ok()?;
    Some(ts.as_primitive::<TimestampSecondType>().value(0))
}

/// `DEFAULT` expressions of columns, evaluated for parts written before the column existed.
pub(crate) type ColumnDefaults =
    std::sync::Arc<Vec<(String, std::sync::Arc<dyn crate::expr::BatchExpr>)>>;

/// Reads a part's rows in order, `batch_size` rows at a time, adapted to `schema`
/// (columns the part lacks get their `DEFAULT` expression from `defaults`, else the type
/// default).
pub(crate) fn read_part(
    dir: &Path,
    schema: &SchemaRef,
    renames: &HashMap<String, String>,
    defaults: &ColumnDefaults,
    batch_size: usize,
) -> Result<impl Iterator<Item = Result<RecordBatch>> + Send + use<>> {
    let path = dir.join(DATA_FILE);
    let file = File::open(&path).map_err(|e| io_err("open", &path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| parquet_err(&path, e))?
        .with_batch_size(batch_size.max(1))
        .build()
        .map_err(|e| parquet_err(&path, e))?;
    let schema = std::sync::Arc::clone(schema);
    let renames = renames.clone();
    let defaults = std::sync::Arc::clone(defaults);
    Ok(reader.map(move |b| {
        let b = b.map_err(|e| parquet_err(&path, e))?;
        let mut out = crate::defaults::adapt_batch(&b, &schema, &renames)?;
        for (name, expr) in defaults.iter() {
            let present = b
                .schema()
                .fields()
                .iter()
                .any(|f| renames.get(f.name()).unwrap_or(f.name()) == name);
            let Ok(idx) = schema.index_of(name) else {
                continue;
            };
            if present {
                continue;
            }
            let vals = expr.eval(&out)?;
            let Some(v) = vals.first() else {
                continue;
            };
            let v = crate::defaults::convert_column(v, schema.field(idx))?;
            let mut cols = out.columns().to_vec();
            cols[idx] = v;
            out = RecordBatch::try_new(std::sync::Arc::clone(&schema), cols)
                .map_err(|e| parquet_err(&path, e))?;
        }
        Ok(out)
    }))
}

/// Checks `data.parquet` against the manifest's size and xxHash64.
pub(crate) fn verify_checksum(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(DATA_FILE);
    let bytes = fs::read(&path).map_err(|e| io_err("read", &path, e))?;
    if bytes.len() as u64 != manifest.data_size {
        return Err(Error::new(
            ErrorCode::CHECKSUM_DOESNT_MATCH,
            format!(
                "Checksum doesn't match: size of {} is {}, expected {}",
                path.display(),
                bytes.len(),
                manifest.data_size
            ),
        ));
    }
    let mut h = XxHash64::with_seed(0);
    h.write(&bytes);
    let got = format!("{:016x}", h.finish());
    if got != manifest.data_xxh64 {
        return Err(Error::new(
            ErrorCode::CHECKSUM_DOESNT_MATCH,
            format!(
                "Checksum doesn't match: corrupted data in {}: xxh64 {got}, expected {}",
                path.display(),
                manifest.data_xxh64
            ),
        ));
    }
    Ok(())
}

/// Creates part `name` sharing `src`'s data file (a hard link) with a copy of its manifest
/// changed by `edit`: what a mutation or `ALTER` does to a part whose rows do not change.
pub(crate) fn link_part(
    table_dir: &Path,
    src_dir: &Path,
    src_manifest: &Manifest,
    name: &PartName,
    edit: impl FnOnce(&mut Manifest),
) -> Result<(Manifest, PathBuf)> {
    let tmp = table_dir.join(format!("tmp_link_{name}"));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| io_err("remove", &tmp, e))?;
    }
    fs::create_dir_all(&tmp).map_err(|e| io_err("create directory", &tmp, e))?;
    let from = src_dir.join(DATA_FILE);
    let to = tmp.join(DATA_FILE);
    if fs::hard_link(&from, &to).is_err() {
        fs::copy(&from, &to).map_err(|e| io_err("copy", &from, e))?;
        File::open(&to)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_err("fsync", &to, e))?;
    }
    let mut manifest = src_manifest.clone();
    manifest.name = name.to_string();
    edit(&mut manifest);
    let mpath = tmp.join(MANIFEST_FILE);
    {
        let mut f = File::create(&mpath).map_err(|e| io_err("create", &mpath, e))?;
        f.write_all(&manifest.to_bytes()?)
            .map_err(|e| io_err("write", &mpath, e))?;
        f.sync_all().map_err(|e| {
            Error::new(ErrorCode::CANNOT_FSYNC, format!("{}: {e}", mpath.display()))
        })?;
    }
    fsync_dir(&tmp)?;
    let final_dir = table_dir.join(name.to_string());
    fs::rename(&tmp, &final_dir).map_err(|e| io_err("rename", &tmp, e))?;
    fsync_dir(table_dir)?;
    Ok((manifest, final_dir))
}

#[cfg(test)]
mod tests {
    use super::marks;

    // `SELECT rows, marks FROM system.parts` of ch-oracle after single inserts into a
    // table with `index_granularity` 3, 4 or 8192 (compact parts).
    #[test]
    fn marks_match_clickhouse() {
        for (rows, g, want) in [
            (1, 3, 2),
            (2, 3, 2),
            (3, 3, 2),
            (10, 3, 4),
            (100, 3, 34),
            (9, 4, 3),
            (10, 4, 4),
            (11, 4, 4),
            (12, 4, 4),
            (13, 4, 4),
            (4, 4, 2),
            (59, 4, 16),
            (100_000, 8192, 13),
        ] {
            assert_eq!(marks(rows, g, 0), want, "{rows} rows, granularity {g}");
        }
        // A wide part (min_bytes_for_wide_part = 0): 10 rows at 3 are 4 granules + 1.
        assert_eq!(marks(10, 3, u64::MAX), 5);
    }
}
