//! CSV buffers for `COPY … FROM STDIN`: the fastest way to load many rows, one buffer per table.

use std::fmt::Display;

/// One table's pending rows, as CSV (an empty unquoted field is NULL).
pub struct Rows {
    writer: csv::Writer<Vec<u8>>,
    count: usize,
}

fn new_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new())
}

impl Default for Rows {
    fn default() -> Self {
        Self {
            writer: new_writer(),
            count: 0,
        }
    }
}

/// A field of a row.
pub enum Field {
    /// NULL.
    Null,
    /// A value written as text.
    Text(String),
}

/// Converts values into fields.
pub fn f(value: impl Display) -> Field {
    Field::Text(value.to_string())
}

/// An optional value: None is NULL.
pub fn opt<T: Display>(value: Option<T>) -> Field {
    value.map_or(Field::Null, |v| Field::Text(v.to_string()))
}

impl Rows {
    /// Appends one row.
    pub fn push(&mut self, fields: Vec<Field>) -> Result<(), csv::Error> {
        let record: Vec<String> = fields
            .into_iter()
            .map(|field| match field {
                Field::Null => String::new(),
                Field::Text(text) => text,
            })
            .collect();
        self.writer.write_record(&record)?;
        self.count += 1;
        Ok(())
    }

    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The CSV bytes, leaving the buffer empty.
    pub fn take(&mut self) -> Result<Vec<u8>, csv::Error> {
        let writer = std::mem::replace(&mut self.writer, new_writer());
        self.count = 0;
        writer
            .into_inner()
            .map_err(|error| csv::Error::from(error.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_is_an_empty_unquoted_field_and_text_is_quoted_when_needed() {
        let mut rows = Rows::default();
        rows.push(vec![
            f("a,b"),
            Field::Null,
            f("say \"hi\""),
            opt(Some(3)),
            opt(None::<u8>),
        ])
        .unwrap();
        assert_eq!(rows.len(), 1);
        let text = String::from_utf8(rows.take().unwrap()).unwrap();
        assert_eq!(text, "\"a,b\",,\"say \"\"hi\"\"\",3,\n");
        assert!(rows.is_empty());
    }
}
