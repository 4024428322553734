//! `Pretty`, `PrettyCompact`, `PrettySpace`: Unicode tables as ClickHouse prints them
//! when the output is not a terminal (no colours): row numbers, right alignment for
//! numbers and dates, `ᴺᵁᴸᴸ`, column names repeated below tables of
//! `output_format_pretty_display_footer_column_names_min_rows` rows or more, and a
//! `Totals:` table. Blocks are squashed into one table.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::{OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;
use crate::text::{is_null_at, write_value};

/// Which table drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `Pretty`: full grid with heavy header lines.
    Full,
    /// `PrettyCompact`: names in the top border, no lines between rows.
    Compact,
    /// `PrettySpace`: no lines at all.
    Space,
}

/// True for types ClickHouse right-aligns in Pretty formats (numbers, dates).
pub(crate) fn align_right(t: &ChType) -> bool {
    matches!(
        t.base(),
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::UInt128
            | ChType::UInt256
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Int128
            | ChType::Int256
            | ChType::Float32
            | ChType::Float64
            | ChType::BFloat16
            | ChType::Decimal { .. }
            | ChType::Date
            | ChType::Date32
            | ChType::DateTime(_)
            | ChType::DateTime64(..)
    )
}

/// Display width of a cell (Unicode scalar values).
pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

pub(crate) const NULL_DISPLAY: &str = "ᴺᵁᴸᴸ";

/// Cell texts of a batch, row-major.
pub(crate) fn cells(
    batch: &RecordBatch,
    types: &[ChType],
    settings: &FormatSettings,
) -> Vec<Vec<String>> {
    (0..batch.num_rows())
        .map(|row| {
            batch
                .columns()
                .iter()
                .zip(types)
                .map(|(col, t)| {
                    if is_null_at(col.as_ref(), row) {
                        NULL_DISPLAY.to_string()
                    } else {
                        let mut v = Vec::new();
                        write_value(&mut v, col.as_ref(), row, t, &settings.text);
                        String::from_utf8_lossy(&v).into_owned()
                    }
                })
                .collect()
        })
        .collect()
}

/// Writer of the Pretty formats.
pub struct PrettyOutput {
    schema: SchemaRef,
    types: Vec<ChType>,
    settings: FormatSettings,
    style: Style,
    rows: Vec<Vec<String>>,
    total_rows: usize,
    totals: Option<Vec<Vec<String>>>,
}

impl PrettyOutput {
    /// A Pretty writer of the given style.
    pub fn new(schema: SchemaRef, settings: FormatSettings, style: Style) -> Self {
        let types = column_types(&schema);
        Self {
            schema,
            types,
            settings,
            style,
            rows: Vec::new(),
            total_rows: 0,
            totals: None,
        }
    }

    fn table(&self, out: &mut Vec<u8>, rows: &[Vec<String>]) {
        let names: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        let right: Vec<bool> = self.types.iter().map(align_right).collect();
        let mut widths: Vec<usize> = names.iter().map(|n| width(n)).collect();
        for r in rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(width(c));
            }
        }
        let num_w = if self.settings.pretty_row_numbers {
            rows.len().max(1).to_string().len() + 2
        } else {
            0
        };
        let blank = |out: &mut Vec<u8>| out.extend(std::iter::repeat_n(b' ', num_w));
        let pad = |out: &mut Vec<u8>, s: &str, w: usize, right: bool, fill: &str| {
            let n = w.saturating_sub(width(s));
            if right {
                out.extend_from_slice(fill.repeat(n).as_bytes());
                out.extend_from_slice(s.as_bytes());
            } else {
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(fill.repeat(n).as_bytes());
            }
        };
        let line = |out: &mut Vec<u8>, l: &str, fill: &str, mid: &str, r: &str| {
            blank(out);
            out.extend_from_slice(l.as_bytes());
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(mid.as_bytes());
                }
                out.extend_from_slice(fill.repeat(w + 2).as_bytes());
            }
            out.extend_from_slice(r.as_bytes());
            out.push(b'\n');
        };
        let names_in_border = |out: &mut Vec<u8>, l: &str, mid: &str, r: &str| {
            blank(out);
            out.extend_from_slice(l.as_bytes());
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(mid.as_bytes());
                }
                out.extend_from_slice("─".as_bytes());
                pad(out, n, widths[i], right[i], "─");
                out.extend_from_slice("─".as_bytes());
            }
            out.extend_from_slice(r.as_bytes());
            out.push(b'\n');
        };
        let cells_line = |out: &mut Vec<u8>, cells: &[&str], sep: &str, num: Option<usize>| {
            match num {
                Some(n) if num_w > 0 => {
                    let s = format!("{n}. ");
                    out.extend(std::iter::repeat_n(b' ', num_w.saturating_sub(s.len())));
                    out.extend_from_slice(s.as_bytes());
                }
                _ => blank(out),
            }
            out.extend_from_slice(sep.as_bytes());
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(sep.as_bytes());
                }
                out.push(b' ');
                pad(out, c, widths[i], right[i], " ");
                out.push(b' ');
            }
            out.extend_from_slice(sep.as_bytes());
            out.push(b'\n');
        };
        let space_names = |out: &mut Vec<u8>| {
            blank(out);
            for (i, n) in names.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b" " } else { b"   " });
                pad(out, n, widths[i], right[i], " ");
            }
            out.extend_from_slice(b"\n\n");
        };
        let footer = self.settings.pretty_display_footer_column_names
            && rows.len() >= self.settings.pretty_footer_min_rows;
        match self.style {
            Style::Full => {
                line(out, "┏", "━", "┳", "┓");
                cells_line(out, &names, "┃", None);
                line(out, "┡", "━", "╇", "┩");
                for (i, r) in rows.iter().enumerate() {
                    if i > 0 {
                        line(out, "├", "─", "┼", "┤");
                    }
                    let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                    cells_line(out, &cells, "│", Some(i + 1));
                }
                if footer {
                    line(out, "┢", "━", "╈", "┪");
                    cells_line(out, &names, "┃", None);
                    line(out, "┗", "━", "┻", "┛");
                } else {
                    line(out, "└", "─", "┴", "┘");
                }
            }
            Style::Compact => {
                names_in_border(out, "┌", "┬", "┐");
                for (i, r) in rows.iter().enumerate() {
                    let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                    cells_line(out, &cells, "│", Some(i + 1));
                }
                if footer {
                    names_in_border(out, "└", "┴", "┘");
                } else {
                    line(out, "└", "─", "┴", "┘");
                }
            }
            Style::Space => {
                space_names(out);
                for (i, r) in rows.iter().enumerate() {
                    let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                    match Some(i + 1) {
                        Some(n) if num_w > 0 => {
                            let s = format!("{n}. ");
                            out.extend(std::iter::repeat_n(b' ', num_w.saturating_sub(s.len())));
                            out.extend_from_slice(s.as_bytes());
                        }
                        _ => {}
                    }
                    for (c, cell) in cells.iter().enumerate() {
                        if c > 0 {
                            out.push(b' ');
                        }
                        out.push(b' ');
                        pad(out, cell, widths[c], right[c], " ");
                        out.push(b' ');
                    }
                    out.push(b'\n');
                }
                if footer {
                    out.push(b'\n');
                    space_names(out);
                }
            }
        }
    }
}

impl OutputFormat for PrettyOutput {
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, _out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        self.total_rows += batch.num_rows();
        let room = self
            .settings
            .pretty_max_rows
            .saturating_sub(self.rows.len());
        if room > 0 {
            let b = batch.slice(0, batch.num_rows().min(room));
            self.rows.extend(cells(&b, &self.types, &self.settings));
        }
        Ok(())
    }

    fn write_totals(&mut self, totals: &RecordBatch, _out: &mut Vec<u8>) -> Result<()> {
        check_batch(totals, &self.types)?;
        self.totals = Some(cells(totals, &self.types, &self.settings));
        Ok(())
    }

    fn write_suffix(&mut self, out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        if self.total_rows > 0 {
            self.table(out, &self.rows);
        }
        if self.total_rows > self.rows.len() {
            out.extend_from_slice(
                format!(
                    "Showed {} out of {} rows.\n",
                    self.rows.len(),
                    self.total_rows
                )
                .as_bytes(),
            );
        }
        if let Some(t) = &self.totals {
            out.extend_from_slice(b"\nTotals:\n");
            self.table(out, t);
        }
        Ok(())
    }
}
