//! Column `CODEC(...)` clauses mapped onto Parquet: `NONE` → uncompressed, `LZ4`/`LZ4HC`
//! → LZ4_RAW, `ZSTD(n)` → ZSTD level n, `Delta`/`DoubleDelta` → DELTA_BINARY_PACKED on
//! integer and date/time columns, `Gorilla`/`FPC` → BYTE_STREAM_SPLIT on floats, `T64`, `GCD`
//! and `Default` → the table default (ZSTD level 1). Unknown codecs: `UNKNOWN_CODEC` (432).

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::parquet::basic::{Compression, Encoding, ZstdLevel};
use datafusion::parquet::file::properties::WriterPropertiesBuilder;
use datafusion::parquet::schema::types::ColumnPath;
use sluice_common::{Error, ErrorCode, Result};

/// One parsed codec.
#[derive(Debug, Clone, PartialEq)]
enum Codec {
    Compression(Compression),
    Encoding(Encoding),
    Default,
}

fn parse(text: &str) -> Result<Codec> {
    let t = text.trim();
    let (name, arg) = match t.split_once('(') {
        Some((n, rest)) => (n.trim(), Some(rest.trim_end_matches(')').trim())),
        None => (t, None),
    };
    let level = |default: i32| -> Result<i32> {
        match arg {
            None | Some("") => Ok(default),
            Some(a) => a.parse().map_err(|_| {
                Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!("{name} codec argument must be integer"),
                )
            }),
        }
    };
    Ok(match name.to_ascii_uppercase().as_str() {
        "NONE" => Codec::Compression(Compression::UNCOMPRESSED),
        "LZ4" | "LZ4HC" => Codec::Compression(Compression::LZ4_RAW),
        "ZSTD" | "ZSTD_QAT" => {
            let l = ZstdLevel::try_new(level(1)?)
                .map_err(|e| Error::new(ErrorCode::BAD_ARGUMENTS, e.to_string()))?;
            Codec::Compression(Compression::ZSTD(l))
        }
        "DELTA" | "DOUBLEDELTA" => Codec::Encoding(Encoding::DELTA_BINARY_PACKED),
        "GORILLA" | "FPC" => Codec::Encoding(Encoding::BYTE_STREAM_SPLIT),
        // Transforms with no Parquet counterpart: the table default.
        "T64" | "GCD" | "DEFAULT" => Codec::Default,
        _ => {
            return Err(Error::new(
                ErrorCode::UNKNOWN_CODEC,
                format!("Unknown codec family: {name}"),
            ));
        }
    })
}

/// Checks a column's codec list (`UNKNOWN_CODEC` 432 for a name ClickHouse does not have).
pub fn validate(codecs: &[String]) -> Result<()> {
    codecs.iter().try_for_each(|c| parse(c).map(|_| ()))
}

pub(crate) fn encoding_fits(enc: Encoding, dt: &DataType) -> bool {
    match enc {
        Encoding::DELTA_BINARY_PACKED => matches!(
            dt,
            DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
                | DataType::UInt64
                | DataType::Date32
                | DataType::Date64
                | DataType::Timestamp(..)
        ),
        Encoding::BYTE_STREAM_SPLIT => matches!(dt, DataType::Float32 | DataType::Float64),
        _ => false,
    }
}

/// Applies `(column, codecs)` to the writer properties of a part.
pub(crate) fn apply(
    mut props: WriterPropertiesBuilder,
    schema: &SchemaRef,
    codecs: &[(String, Vec<String>)],
) -> Result<WriterPropertiesBuilder> {
    for (column, list) in codecs {
        let Ok(field) = schema.field_with_name(column) else {
            continue;
        };
        let path = ColumnPath::from(column.as_str());
        for c in list {
            match parse(c)? {
                Codec::Compression(comp) => {
                    props = props.set_column_compression(path.clone(), comp);
                }
                Codec::Encoding(enc) if encoding_fits(enc, field.data_type()) => {
                    props = props
                        .set_column_dictionary_enabled(path.clone(), false)
                        .set_column_encoding(path.clone(), enc);
                }
                Codec::Encoding(_) | Codec::Default => {}
            }
        }
    }
    Ok(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clickhouse_codecs() {
        assert_eq!(
            parse("ZSTD(3)").unwrap(),
            Codec::Compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
        );
        assert_eq!(
            parse("Delta(4)").unwrap(),
            Codec::Encoding(Encoding::DELTA_BINARY_PACKED)
        );
        assert_eq!(
            parse("NONE").unwrap(),
            Codec::Compression(Compression::UNCOMPRESSED)
        );
        assert_eq!(parse("Foo").unwrap_err().code.0, 432);
    }
}
