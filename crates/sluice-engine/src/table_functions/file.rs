//! `file(path[, format[, structure]])`: a file read in one of the input formats.
//!
//! A relative path is resolved against the current directory (clickhouse-local's
//! `user_files` directory; the server has no separate user-files root yet). The format
//! defaults to the one the extension names (`.tsv`, `.csv`, `.jsonl`, `.parquet`, …; TSV
//! otherwise); without a structure the columns are inferred from the data
//! ([`super::infer`]). The file is read and parsed when the query is planned, so the
//! structure is known then, as in ClickHouse.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result as DfResult;
use sluice_common::{ChType, ErrorCode};

use super::infer::infer;
use super::{ch, const_arg};

#[derive(Debug)]
pub(super) struct FileFunc;

/// The format a file extension names.
fn format_of_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "tsv" => "TabSeparated",
        "csv" => "CSV",
        "json" | "jsonl" | "ndjson" => "JSONEachRow",
        "parquet" => "Parquet",
        "arrow" => "Arrow",
        "native" => "Native",
        "values" => "Values",
        _ => return None,
    })
}

fn string_arg(e: &datafusion::logical_expr::Expr, what: &str) -> DfResult<String> {
    match const_arg(e)? {
        datafusion::common::ScalarValue::Utf8(Some(s))
        | datafusion::common::ScalarValue::Utf8View(Some(s))
        | datafusion::common::ScalarValue::LargeUtf8(Some(s)) => Ok(s),
        other => Err(ch(
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            format!("The {what} argument of table function 'file' must be a string, got {other}"),
        )),
    }
}

impl TableFunctionImpl for FileFunc {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.is_empty() || exprs.len() > 4 {
            return Err(ch(
                ErrorCode::NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Table function 'file' requires 1 to 3 arguments: path, format, structure",
            ));
        }
        let path_text = string_arg(&exprs[0], "path")?;
        let path = PathBuf::from(&path_text);
        let format = match exprs.get(1) {
            Some(f) => {
                let name = string_arg(f, "format")?;
                if name.eq_ignore_ascii_case("auto") {
                    format_of_extension(&path)
                        .unwrap_or("TabSeparated")
                        .to_string()
                } else {
                    name
                }
            }
            None => format_of_extension(&path)
                .unwrap_or("TabSeparated")
                .to_string(),
        };
        let Some(canonical) = sluice_formats::input::canonical_input_name(&format) else {
            return Err(ch(
                ErrorCode::UNKNOWN_FORMAT,
                format!("Unknown input format {format}"),
            ));
        };
        let data = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                let shown = std::env::current_dir()
                    .map(|d| d.join(&path))
                    .unwrap_or_else(|_| path.clone());
                ch(
                    ErrorCode::FILE_DOESNT_EXIST,
                    format!("File {} doesn't exist", shown.display()),
                )
            } else {
                ch(
                    ErrorCode::CANNOT_OPEN_FILE,
                    format!("Cannot open file {path_text}: {e}"),
                )
            }
        })?;
        let columns: Vec<(String, ChType)> = match exprs.get(2) {
            Some(s) => {
                let text = string_arg(s, "structure")?;
                if text.eq_ignore_ascii_case("auto") {
                    infer(canonical, &data).map_err(|e| ch(e.code, e.message))?
                } else {
                    let mut cols = Vec::new();
                    for (name, ty) in
                        sluice_sql::parse_structure(&text).map_err(|e| ch(e.code, e.message))?
                    {
                        let t = ChType::parse(&ty).map_err(|e| ch(e.code, e.message))?;
                        cols.push((name, t));
                    }
                    cols
                }
            }
            None => infer(canonical, &data).map_err(|e| ch(e.code, e.message))?,
        };
        if columns.is_empty() {
            return Err(ch(
                ErrorCode::CANNOT_EXTRACT_TABLE_STRUCTURE,
                format!("Cannot extract table structure from file {path_text}"),
            ));
        }
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(n, t)| t.to_field(n))
                .collect::<Vec<_>>(),
        ));
        let mut settings = sluice_formats::FormatSettings::default();
        if let Some(tz) = &args.session().config().options().execution.time_zone {
            let _ = settings.set("session_timezone", tz);
        }
        let mut reader =
            sluice_formats::input::input_format(canonical, Arc::clone(&schema), &settings)
                .map_err(|e| ch(e.code, e.message))?;
        let batches = reader.read(&data).map_err(|e| ch(e.code, e.message))?;
        Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
    }
}
