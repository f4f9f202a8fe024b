//! An upload (CSV or spreadsheet) as a header row followed by a stream of rows of text
//! cells, each with the line number the agent sees in Excel.
//!
//! CSV files are decoded and parsed as they are read, so memory stays flat however long the
//! file; spreadsheets are loaded whole by `calamine` (their size is bounded by the upload).

mod csv_rows;
mod spreadsheet;
mod workbook_guard;

use std::io::{self, Read, Seek, SeekFrom};

use thiserror::Error;

use super::encoding::TextEncoding;
use super::sniff::{Delimiter, sniff_delimiter};

use csv_rows::CsvRows;

/// How much of a CSV file is decoded to guess its separator.
const SNIFF_BYTES: u64 = 64 * 1024;

/// How much of the start of a file is inspected to tell its format.
const MAGIC_BYTES: usize = 8 * 1024;

/// The kind of file an upload turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Delimited text.
    Csv,
    /// Excel 2007+ workbook.
    Xlsx,
    /// Excel 97-2003 workbook.
    Xls,
    /// Excel binary workbook.
    Xlsb,
    /// OpenDocument spreadsheet (LibreOffice).
    Ods,
}

/// How a CSV file is written: its encoding and separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CsvDialect {
    /// Character encoding.
    pub encoding: TextEncoding,
    /// Column separator.
    pub delimiter: Delimiter,
}

impl Default for CsvDialect {
    /// What French Excel opens without asking: UTF-8 with a BOM, `;`-separated.
    fn default() -> Self {
        Self {
            encoding: TextEncoding::Utf8 { bom: true },
            delimiter: Delimiter::Semicolon,
        }
    }
}

/// Which sheet of a workbook to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SheetChoice {
    /// The first visible worksheet, the one Excel shows when the file opens.
    #[default]
    First,
    /// The sheet with this name (case and accents ignored).
    Named(String),
}

/// Options for [`Table::open`]; the defaults detect everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Which sheet to read in a workbook.
    pub sheet: SheetChoice,
    /// Forces the CSV separator instead of sniffing it.
    pub delimiter: Option<Delimiter>,
    /// Forces the CSV encoding instead of detecting it.
    pub encoding: Option<TextEncoding>,
}

/// One non-blank line of the file (ligne), its trailing empty cells removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The 1-based line where the row starts: in a workbook, Excel's row number; in a CSV,
    /// the physical line of the record's first character, blank lines counted (Excel shows
    /// the same number unless an earlier cell of the file spans several lines).
    pub line: u64,
    /// The cells as text, untrimmed.
    pub cells: Vec<String>,
}

impl Row {
    /// Builds a row, dropping trailing cells that hold only spaces; `None` if nothing is left.
    pub fn new(line: u64, mut cells: Vec<String>) -> Option<Self> {
        for cell in &mut cells {
            if let Some(value) = crate::domain::spreadsheet_cell::restored(cell) {
                *cell = value.to_owned();
            }
        }
        while cells.last().is_some_and(|cell| cell.trim().is_empty()) {
            cells.pop();
        }
        (!cells.is_empty()).then_some(Self { line, cells })
    }

    /// The cell at a 0-based column, or "" past the end of the row.
    pub fn cell(&self, column: usize) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }
}

/// A problem that prevents reading the file at all.
#[derive(Debug, Error)]
pub enum TableError {
    /// Nothing but blank lines.
    #[error("Le fichier est vide : il ne contient aucune ligne d'en-tête")]
    Empty,
    /// Not a CSV, nor a workbook calamine can read.
    #[error(
        "Le format de ce fichier n'est pas reconnu : enregistrez-le depuis Excel ou LibreOffice \
         au format CSV, XLSX, XLS ou ODS"
    )]
    UnknownFormat,
    /// A workbook that calamine could not open or read.
    #[error(
        "Le classeur n'a pas pu être lu ({0}) : enregistrez-le à nouveau depuis Excel ou LibreOffice"
    )]
    Spreadsheet(String),
    /// A sheet with a value beyond the last column a file may use.
    #[error(
        "La feuille a une valeur à la ligne {line}, colonne {column} : au-delà de 10 000 colonnes, \
         ce n'est pas un fichier d'import (supprimez les colonnes vides ou inutiles)"
    )]
    TooWide {
        /// The line of the cell.
        line: u64,
        /// Its column (1 = A).
        column: u64,
    },
    /// A part of a zipped workbook that would inflate past what the hub reads (a zip bomb).
    #[error(
        "Le classeur est anormalement volumineux une fois décompressé ({part} : {megabytes} Mo) : \
         enregistrez-le à nouveau depuis Excel ou LibreOffice, ou découpez-le"
    )]
    Inflated {
        /// The part of the archive.
        part: String,
        /// Its inflated size, in MiB.
        megabytes: u64,
    },
    /// A sheet whose cells, laid out, would exceed what an import holds.
    #[error(
        "La feuille est trop grande : plus de 8 millions de cellules une fois les lignes mises \
         bout à bout ; découpez le fichier ou supprimez les colonnes inutiles"
    )]
    TooManyCells,
    /// A workbook without any worksheet.
    #[error("Le classeur ne contient aucune feuille de calcul")]
    NoSheet,
    /// The requested sheet is absent.
    #[error(
        "La feuille « {name} » n'existe pas dans ce classeur (feuilles présentes : {available})"
    )]
    SheetNotFound {
        /// The name asked for.
        name: String,
        /// The sheets of the workbook, comma-separated.
        available: String,
    },
    /// A CSV record too long to be real: a quote was left open.
    #[error(
        "La ligne {line} est anormalement longue (plus d'un million de caractères ou de 10 000 \
         colonnes) : un guillemet « \" » n'a probablement pas été refermé"
    )]
    RecordTooLong {
        /// Line where the record starts.
        line: u64,
    },
    /// Reading the upload failed.
    #[error("Le fichier n'a pas pu être lu : {0}")]
    Io(#[from] io::Error),
}

impl TableError {
    /// A stable snake_case code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::UnknownFormat => "unknown_format",
            Self::Spreadsheet(_) => "unreadable_spreadsheet",
            Self::NoSheet => "no_sheet",
            Self::SheetNotFound { .. } => "sheet_not_found",
            Self::RecordTooLong { .. } => "record_too_long",
            Self::TooWide { .. } => "sheet_too_wide",
            Self::TooManyCells => "sheet_too_large",
            Self::Inflated { .. } => "workbook_too_large",
            Self::Io(_) => "io_error",
        }
    }
}

/// Where the rows come from.
enum Source<R> {
    // Boxed: the CSV state holds its parser and buffers inline.
    Csv(Box<CsvRows<R>>),
    Sheet(std::vec::IntoIter<Row>),
}

/// An opened upload: its format, its header row, then its rows as an iterator.
pub struct Table<R> {
    format: FileFormat,
    dialect: CsvDialect,
    header: Row,
    source: Source<R>,
}

impl<R: Read + Seek> Table<R> {
    /// Detects the format (and for CSV the encoding and separator), then reads the header
    /// (the first non-blank line).
    pub fn open(mut reader: R, options: &ReadOptions) -> Result<Self, TableError> {
        let mut magic = Vec::with_capacity(MAGIC_BYTES);
        (&mut reader)
            .take(MAGIC_BYTES as u64)
            .read_to_end(&mut magic)?;
        reader.seek(SeekFrom::Start(0))?;
        let (format, dialect, mut source) = match Magic::of(&magic) {
            magic @ (Magic::Cfb | Magic::Zip) => {
                let compound_file = matches!(magic, Magic::Cfb);
                let (format, rows) = spreadsheet::read(reader, compound_file, &options.sheet)?;
                (
                    format,
                    CsvDialect::default(),
                    Source::Sheet(rows.into_iter()),
                )
            }
            Magic::Other => return Err(TableError::UnknownFormat),
            Magic::Text => {
                let dialect = sniff_dialect(&mut reader, options)?;
                let rows = CsvRows::new(reader, dialect);
                (FileFormat::Csv, dialect, Source::Csv(Box::new(rows)))
            }
        };
        let header = match next_row(&mut source) {
            Some(header) => header?,
            None => return Err(TableError::Empty),
        };
        Ok(Self {
            format,
            dialect,
            header,
            source,
        })
    }
}

impl<R> Table<R> {
    /// The detected format.
    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// The CSV dialect read, or the default one for a spreadsheet: the dialect errors files
    /// are written in.
    pub fn dialect(&self) -> CsvDialect {
        self.dialect
    }

    /// The header row.
    pub fn header(&self) -> &Row {
        &self.header
    }
}

impl<R: Read> Iterator for Table<R> {
    type Item = Result<Row, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        next_row(&mut self.source)
    }
}

fn next_row<R: Read>(source: &mut Source<R>) -> Option<Result<Row, TableError>> {
    match source {
        Source::Csv(rows) => rows.next(),
        Source::Sheet(rows) => rows.next().map(Ok),
    }
}

/// What the first bytes of an upload say it is.
enum Magic {
    /// An OLE compound file: XLS.
    Cfb,
    /// A zip archive: XLSX, XLSB or ODS.
    Zip,
    /// Something we know is not tabular text (PDF, HTML, XML, binary).
    Other,
    /// Presumably delimited text.
    Text,
}

impl Magic {
    fn of(start: &[u8]) -> Self {
        if start.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
            return Self::Cfb;
        }
        if start.starts_with(b"PK\x03\x04") {
            return Self::Zip;
        }
        let utf16 = start.starts_with(b"\xFF\xFE") || start.starts_with(b"\xFE\xFF");
        if !utf16 && start.contains(&0) {
            return Self::Other;
        }
        let text = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
        let head: Vec<u8> = text
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(16)
            .map(u8::to_ascii_lowercase)
            .collect();
        // Some case-management software exports HTML or SpreadsheetML 2003 named ".xls":
        // read as CSV they would give nonsense columns, so say so.
        let markup = [&b"%pdf"[..], b"<html", b"<!doctype", b"<table", b"<?xml"];
        if markup.iter().any(|prefix| head.starts_with(prefix)) {
            return Self::Other;
        }
        Self::Text
    }
}

/// Detects (unless forced) the encoding over the whole file, then the separator on its start.
fn sniff_dialect<R: Read + Seek>(
    reader: &mut R,
    options: &ReadOptions,
) -> Result<CsvDialect, TableError> {
    let encoding = match options.encoding {
        Some(encoding) => encoding,
        None => {
            let encoding = TextEncoding::detect_reader(&mut *reader)?;
            reader.seek(SeekFrom::Start(0))?;
            encoding
        }
    };
    let delimiter = match options.delimiter {
        Some(delimiter) => delimiter,
        None => {
            let mut raw = Vec::new();
            (&mut *reader).take(SNIFF_BYTES).read_to_end(&mut raw)?;
            reader.seek(SeekFrom::Start(0))?;
            let complete = (raw.len() as u64) < SNIFF_BYTES;
            sniff_delimiter(&encoding.decode(&raw), complete)
        }
    };
    Ok(CsvDialect {
        encoding,
        delimiter,
    })
}

#[cfg(test)]
pub(crate) mod tests;
