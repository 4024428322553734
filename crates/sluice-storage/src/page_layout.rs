//! Column writers of a row group with two page sizes. Parquet's writer properties set one
//! page row limit for every column; a part's sorting-key columns need pages of one granule
//! (the page index prunes a point query to 8,192 rows), while the other columns of a
//! merged part are read whole by the queries that read them. Their pages can be larger:
//! fewer ZSTD frames (each frame builds its decoding tables) and matches that reach
//! across granules, as ClickHouse compresses blocks of 64 KiB to 1 MiB whatever the
//! granule size. Each column writer of a row group comes from one of two factories, built
//! from the same schema with different properties.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowRowGroupWriterFactory};
use datafusion::parquet::errors::Result as ParquetResult;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::SchemaDescriptor;

/// The other page layout: its properties and the top-level columns that take it.
pub(crate) struct WidePages {
    /// Writer properties of those columns (a larger page row limit).
    pub(crate) props: WriterProperties,
    /// Top-level column names written with `props`.
    pub(crate) columns: HashSet<String>,
}

/// Creates a row group's column writers, each leaf column from its layout's factory.
pub(crate) struct ColumnWriterFactory {
    narrow: ArrowRowGroupWriterFactory,
    /// The wide factory and, per leaf column in schema order, whether it takes it.
    wide: Option<(ArrowRowGroupWriterFactory, Vec<bool>)>,
}

impl ColumnWriterFactory {
    /// `narrow` writes every column not in `wide`; `descr` is the file's Parquet schema.
    pub(crate) fn try_new(
        narrow: ArrowRowGroupWriterFactory,
        schema: &SchemaRef,
        descr: &SchemaDescriptor,
        wide: Option<WidePages>,
    ) -> ParquetResult<Self> {
        let wide = match wide {
            Some(w) if !w.columns.is_empty() => {
                // The column chunks are appended to the real file; this writer's own
                // output (the magic bytes) goes nowhere.
                let writer =
                    ArrowWriter::try_new(std::io::sink(), Arc::clone(schema), Some(w.props))?;
                let (_, factory) = writer.into_serialized_writer()?;
                let leaves = descr
                    .columns()
                    .iter()
                    .map(|c| {
                        c.path()
                            .parts()
                            .first()
                            .is_some_and(|top| w.columns.contains(top))
                    })
                    .collect();
                Some((factory, leaves))
            }
            _ => None,
        };
        Ok(Self { narrow, wide })
    }

    /// The column writers of row group `index`, one per leaf column in schema order.
    pub(crate) fn create_column_writers(
        &self,
        index: usize,
    ) -> ParquetResult<Vec<ArrowColumnWriter>> {
        let narrow = self.narrow.create_column_writers(index)?;
        let Some((factory, leaves)) = &self.wide else {
            return Ok(narrow);
        };
        let wide = factory.create_column_writers(index)?;
        Ok(narrow
            .into_iter()
            .zip(wide)
            .zip(leaves)
            .map(|((n, w), &is_wide)| if is_wide { w } else { n })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, RecordBatch, UInt32Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, UInt32Type};
    use datafusion::parquet::arrow::arrow_reader::{
        ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    use datafusion::parquet::basic::Encoding;
    use datafusion::parquet::file::metadata::PageIndexPolicy;
    use datafusion::parquet::schema::types::ColumnPath;

    use super::*;
    use crate::rg_writer::ParallelWriter;

    #[test]
    fn wide_columns_take_their_own_page_size_and_encoding() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::UInt32, false),
            Field::new("v", DataType::UInt32, false),
        ]));
        let narrow = WriterProperties::builder()
            .set_dictionary_enabled(false)
            .set_encoding(Encoding::DELTA_BINARY_PACKED)
            .set_data_page_row_count_limit(1_000)
            .set_write_batch_size(1_000);
        let wide = narrow
            .clone()
            .set_data_page_row_count_limit(8_000)
            .set_column_encoding(ColumnPath::from("v"), Encoding::PLAIN)
            .build();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut w = ParallelWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            Arc::clone(&schema),
            narrow.build(),
            Some(WidePages {
                props: wide,
                columns: HashSet::from(["v".to_string()]),
            }),
            40_000,
        )
        .unwrap();
        let k = UInt32Array::from_iter_values(0..100_000);
        let v = UInt32Array::from_iter_values((0..100_000u32).map(|i| i.wrapping_mul(7919) % 5000));
        let batch =
            RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(k), Arc::new(v)]).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();

        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
        let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(
            std::fs::File::open(&path).unwrap(),
            options,
        )
        .unwrap();
        let md = Arc::clone(builder.metadata());
        let pages = md.offset_index().unwrap();
        // Row groups of 40,000, 40,000 and 20,000 rows.
        let counts: Vec<(usize, usize)> = pages
            .iter()
            .map(|rg| (rg[0].page_locations().len(), rg[1].page_locations().len()))
            .collect();
        assert_eq!(counts, vec![(40, 5), (40, 5), (20, 3)]);
        let rg = md.row_group(0);
        assert!(rg.column(1).encodings().any(|e| e == Encoding::PLAIN));
        assert!(
            !rg.column(1)
                .encodings()
                .any(|e| e == Encoding::DELTA_BINARY_PACKED)
        );
        assert!(
            rg.column(0)
                .encodings()
                .any(|e| e == Encoding::DELTA_BINARY_PACKED)
        );
        let mut n = 0;
        for b in builder.build().unwrap() {
            let b = b.unwrap();
            assert_eq!(b.schema(), schema);
            let got_k = b.column(0).as_primitive::<UInt32Type>();
            let got_v = b.column(1).as_primitive::<UInt32Type>();
            for i in 0..b.num_rows() {
                assert_eq!(got_k.value(i), n);
                assert_eq!(got_v.value(i), n.wrapping_mul(7919) % 5000);
                n += 1;
            }
        }
        assert_eq!(n, 100_000);
    }
}
