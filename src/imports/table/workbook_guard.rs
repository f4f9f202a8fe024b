//! Bounds checked on a zipped workbook (XLSX, XLSB, ODS) before calamine reads it. calamine
//! inflates a workbook's shared parts whole and lays an ODS sheet out as a dense grid between
//! its first and last used cells: a zip bomb, or two cells at opposite corners of a sheet
//! (`table:number-rows-repeated="1048576"`), would take the hub's memory. Those are refused
//! here, from the archive's directory and a streamed pass over the ODS content.

use std::io::{Read, Seek, SeekFrom};

use quick_xml::events::{BytesStart, Event};

use super::TableError;
use super::spreadsheet::MAX_SHEET_CELLS;

/// Largest part of a workbook calamine inflates whole (shared strings, styles, an ODS's
/// content): a 110,000-line template's shared strings take about 20 MB.
pub const MAX_WHOLE_PART_BYTES: u64 = 64 * 1024 * 1024;

/// Largest worksheet part of an XLSX or XLSB, read cell by cell (a 110,000-line template of
/// 50 columns is about 150 MB of XML).
pub const MAX_SHEET_PART_BYTES: u64 = 1024 * 1024 * 1024;

/// Checks a zipped workbook's parts and, for an ODS, the extent of its sheets; leaves the
/// reader at its start. What is not a zip is left to calamine.
pub fn check<R: Read + Seek>(reader: &mut R) -> Result<(), TableError> {
    let result = check_archive(reader);
    reader.seek(SeekFrom::Start(0))?;
    result
}

fn check_archive<R: Read + Seek>(reader: &mut R) -> Result<(), TableError> {
    let Ok(mut archive) = zip::ZipArchive::new(&mut *reader) else {
        return Ok(());
    };
    for index in 0..archive.len() {
        let Ok(part) = archive.by_index_raw(index) else {
            continue;
        };
        let name = part
            .name()
            .map(|name| name.into_owned())
            .unwrap_or_default();
        let streamed = name.starts_with("xl/worksheets/");
        let limit = if streamed {
            MAX_SHEET_PART_BYTES
        } else {
            MAX_WHOLE_PART_BYTES
        };
        if part.size() > limit {
            return Err(TableError::Inflated {
                part: name,
                megabytes: part.size() / (1024 * 1024),
            });
        }
    }
    if let Ok(content) = archive.by_name("content.xml") {
        // Read no more than the bound, whatever the archive's directory claims.
        ods_extent(content.take(MAX_WHOLE_PART_BYTES + 1))?;
    }
    Ok(())
}

/// A repeat count of an ODS row or cell attribute (1 when absent or unreadable).
fn repeats(element: &BytesStart<'_>, attribute: &str) -> u64 {
    element
        .try_get_attribute(attribute)
        .ok()
        .flatten()
        .and_then(|value| value.value.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// The cells one ODS sheet spans once laid out: the rectangle between its first row and
/// column and its last used ones, as calamine builds it.
#[derive(Default)]
struct Extent {
    row: u64,
    column: u64,
    row_repeats: u64,
    row_used: bool,
    last_row: Option<u64>,
    last_column: Option<u64>,
    cell_repeats: u64,
    cell_used: bool,
}

impl Extent {
    fn cells(&self) -> u64 {
        match (self.last_row, self.last_column) {
            (Some(row), Some(column)) => row
                .saturating_add(1)
                .saturating_mul(column.saturating_add(1)),
            _ => 0,
        }
    }

    fn end_cell(&mut self) {
        if self.cell_used {
            let last = self.column.saturating_add(self.cell_repeats - 1);
            self.last_column = Some(self.last_column.map_or(last, |known| known.max(last)));
            self.row_used = true;
        }
        self.column = self.column.saturating_add(self.cell_repeats);
        self.cell_used = false;
    }

    fn end_row(&mut self) {
        if self.row_used {
            self.last_row = Some(self.row.saturating_add(self.row_repeats - 1));
        }
        self.row = self.row.saturating_add(self.row_repeats);
        self.row_used = false;
        self.column = 0;
    }
}

fn is_cell(element: &BytesStart<'_>) -> bool {
    matches!(
        element.local_name().as_ref(),
        "table-cell" | "covered-table-cell"
    )
}

fn open_cell(sheet: &mut Extent, element: &BytesStart<'_>) {
    sheet.cell_repeats = repeats(element, "table:number-columns-repeated");
    sheet.cell_used = element
        .try_get_attribute("office:value-type")
        .ok()
        .flatten()
        .is_some();
}

/// Refuses an ODS whose sheets, laid out, would exceed [`MAX_SHEET_CELLS`].
fn ods_extent<R: Read>(content: R) -> Result<(), TableError> {
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buffer = Vec::new();
    let mut sheet = Extent::default();
    loop {
        buffer.clear();
        let Ok(event) = xml.read_event_into(&mut buffer) else {
            // Malformed content is calamine's to report; the bound held so far.
            return Ok(());
        };
        match event {
            Event::Eof => return Ok(()),
            Event::Start(element) if element.local_name().as_ref() == "table" => {
                sheet = Extent::default();
            }
            Event::Start(element) if element.local_name().as_ref() == "table-row" => {
                sheet.row_repeats = repeats(&element, "table:number-rows-repeated");
            }
            Event::Empty(element) if element.local_name().as_ref() == "table-row" => {
                sheet.row_repeats = repeats(&element, "table:number-rows-repeated");
                sheet.end_row();
            }
            Event::End(element) if element.local_name().as_ref() == "table-row" => {
                sheet.end_row();
            }
            Event::Start(element) if is_cell(&element) => open_cell(&mut sheet, &element),
            Event::Empty(element) if is_cell(&element) => {
                open_cell(&mut sheet, &element);
                sheet.end_cell();
            }
            // Text in a cell is a value, whatever its type says.
            Event::Start(element) | Event::Empty(element)
                if element.local_name().as_ref() == "p" =>
            {
                sheet.cell_used = true;
            }
            Event::End(element)
                if matches!(
                    element.local_name().as_ref(),
                    "table-cell" | "covered-table-cell"
                ) =>
            {
                sheet.end_cell();
            }
            _ => {}
        }
        if sheet.cells() > MAX_SHEET_CELLS as u64 {
            return Err(TableError::TooManyCells);
        }
    }
}

/// Refuses an old binary XLS workbook (BIFF8 in a compound file) one of whose sheets, laid out
/// between its first and last cells, would exceed [`MAX_SHEET_CELLS`]: calamine builds every
/// sheet's grid when it opens the file. Leaves the reader at its start.
pub fn check_xls<R: Read + Seek>(reader: &mut R) -> Result<(), TableError> {
    let result = xls_extent(reader);
    reader.seek(SeekFrom::Start(0))?;
    result
}

/// Record types of BIFF8 that hold a cell at (row, column) in their first four bytes.
const CELL_RECORDS: [u16; 7] = [0x0006, 0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD];
/// MULRK: a row, a first column, values, then the last column in its last two bytes.
const MULRK: u16 = 0x00BD;
/// BOF and EOF of a substream.
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;

fn xls_extent<R: Read + Seek>(reader: &mut R) -> Result<(), TableError> {
    let Ok(mut file) = cfb::CompoundFile::open(&mut *reader) else {
        return Ok(());
    };
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|name| file.is_stream(name));
    let Some(name) = name else {
        return Ok(());
    };
    let Ok(stream) = file.open_stream(name) else {
        return Ok(());
    };
    let mut stream = std::io::BufReader::new(stream);
    let mut header = [0u8; 4];
    let mut data = Vec::new();
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    while stream.read_exact(&mut header).is_ok() {
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let length = usize::from(u16::from_le_bytes([header[2], header[3]]));
        data.resize(length, 0);
        if stream.read_exact(&mut data).is_err() {
            break;
        }
        let cell = |row: usize, column: usize| -> Option<(u32, u32)> {
            let word = |at: usize| {
                data.get(at..at + 2)
                    .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
            };
            Some((word(row)?, word(column)?))
        };
        let cells: Vec<(u32, u32)> = match kind {
            BOF | EOF => {
                bounds = None;
                Vec::new()
            }
            kind if CELL_RECORDS.contains(&kind) => cell(0, 2).into_iter().collect(),
            MULRK if length >= 6 => cell(0, 2).into_iter().chain(cell(0, length - 2)).collect(),
            _ => Vec::new(),
        };
        for (row, column) in cells {
            let (top, bottom, left, right) = bounds.get_or_insert((row, row, column, column));
            *top = (*top).min(row);
            *bottom = (*bottom).max(row);
            *left = (*left).min(column);
            *right = (*right).max(column);
            let area = u64::from(*bottom - *top + 1) * u64::from(*right - *left + 1);
            if area > MAX_SHEET_CELLS as u64 {
                return Err(TableError::TooManyCells);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    fn ods(content: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("content.xml", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    }

    fn sheet(rows: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><office:document-content xmlns:office=\"o\" xmlns:table=\"t\" xmlns:text=\"x\">\
             <office:body><office:spreadsheet><table:table table:name=\"F\">{rows}</table:table>\
             </office:spreadsheet></office:body></office:document-content>"
        )
    }

    #[test]
    fn an_ods_with_cells_at_opposite_corners_is_refused_before_calamine() {
        let corners = sheet(
            "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>a</text:p></table:table-cell></table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048574\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>\
             <table:table-row><table:table-cell table:number-columns-repeated=\"16383\"/><table:table-cell><text:p>z</text:p></table:table-cell></table:table-row>",
        );
        let error = check(&mut Cursor::new(ods(&corners))).unwrap_err();
        assert_eq!(error.code(), "sheet_too_large");
        // Repeated empty cells and rows after the data cost nothing.
        let padded = sheet(
            "<table:table-row><table:table-cell><text:p>nir</text:p></table:table-cell><table:table-cell table:number-columns-repeated=\"16383\"/></table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>",
        );
        assert!(check(&mut Cursor::new(ods(&padded))).is_ok());
        // A value repeated over a huge area is laid out whole: refused.
        let repeated = sheet(
            "<table:table-row table:number-rows-repeated=\"100000\"><table:table-cell office:value-type=\"float\" table:number-columns-repeated=\"1000\"/></table:table-row>",
        );
        assert!(check(&mut Cursor::new(ods(&repeated))).is_err());
    }

    #[test]
    fn a_part_that_would_inflate_past_its_bound_is_refused() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("xl/sharedStrings.xml", SimpleFileOptions::default())
            .unwrap();
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..=(MAX_WHOLE_PART_BYTES / (1024 * 1024)) {
            zip.write_all(&chunk).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 1024 * 1024, "a bomb: {} bytes", bytes.len());
        let error = check(&mut Cursor::new(bytes)).unwrap_err();
        assert!(error.to_string().contains("sharedStrings"), "{error}");
        // Not a zip: left to the other readers.
        assert!(check(&mut Cursor::new(b"nir;nom\r\n".to_vec())).is_ok());
    }

    /// A compound file holding a BIFF8 record stream with number cells at these places.
    fn xls(cells: &[(u16, u16)]) -> Vec<u8> {
        let record = |kind: u16, data: &[u8]| {
            let mut bytes = kind.to_le_bytes().to_vec();
            bytes.extend_from_slice(&u16::try_from(data.len()).unwrap().to_le_bytes());
            bytes.extend_from_slice(data);
            bytes
        };
        let mut stream = record(BOF, &[0, 6, 0x10, 0, 0, 0, 0, 0]);
        for (row, column) in cells {
            let mut number = row.to_le_bytes().to_vec();
            number.extend_from_slice(&column.to_le_bytes());
            number.extend_from_slice(&[0; 10]);
            stream.extend(record(0x0203, &number));
        }
        stream.extend(record(EOF, &[]));
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        file.create_stream("/Workbook")
            .unwrap()
            .write_all(&stream)
            .unwrap();
        file.flush().unwrap();
        file.into_inner().into_inner()
    }

    #[test]
    fn an_xls_with_cells_at_opposite_corners_is_refused_before_calamine() {
        let error = check_xls(&mut Cursor::new(xls(&[(0, 0), (65_535, 255)]))).unwrap_err();
        assert_eq!(error.code(), "sheet_too_large");
        assert!(check_xls(&mut Cursor::new(xls(&[(0, 0), (1_000, 40)]))).is_ok());
        let real = std::fs::read(format!(
            "{}/fixtures/imports/import_charges_orientation.xls",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(
            check_xls(&mut Cursor::new(real)).is_ok(),
            "a real export passes"
        );
    }
}
