//! Finding each expected column by its header name, in any order, whatever the case,
//! accents, spaces and `*` marks, with the synonyms the templates used over the years.

use std::collections::HashMap;
use std::fmt;

use thiserror::Error;

use cdb_connector::text::fold;

/// The header of the column added to errors files (see `errors_csv`): ignored on re-upload.
pub const ERRORS_HEADER: &str = "Erreurs";

/// The header of the errors file's column of values left out of applied lines (ignored on
/// upload, as « Erreurs »).
pub const WARNINGS_HEADER: &str = "Avertissements";

/// The header of the errors file's column naming the line each line came from: read when the
/// file comes back as corrections of the same import, ignored on a new upload.
pub const LINE_HEADER: &str = "Ligne d'origine";

/// One column an import kind knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Stable field name, for the code and the API.
    pub key: &'static str,
    /// Accepted headers; the first is the current template's and is used in messages.
    pub names: &'static [&'static str],
    /// Whether the column must be present (and, for most kinds, filled).
    pub required: bool,
    /// The French noun phrase naming a value of the column in messages ("La date de naissance").
    pub label: &'static str,
}

impl ColumnSpec {
    /// Declares a column (for `const` column tables).
    pub const fn new(
        key: &'static str,
        names: &'static [&'static str],
        required: bool,
        label: &'static str,
    ) -> Self {
        Self {
            key,
            names,
            required,
            label,
        }
    }

    /// The header of the current template, with the `*` of required columns.
    pub fn display_name(&self) -> String {
        let name = self.names.first().copied().unwrap_or(self.key);
        if self.required {
            format!("{name}*")
        } else {
            name.to_owned()
        }
    }
}

/// A header cell that matched no expected column; its values are ignored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnknownColumn {
    /// The column letter as Excel shows it (`A`, `B`, … `AA`).
    pub column: String,
    /// The header as written.
    pub header: String,
}

/// Several header cells naming the same expected column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DuplicatedColumn {
    /// The expected column, as the template names it.
    pub expected: String,
    /// The headers found for it, as written.
    pub headers: Vec<String>,
}

/// A header line that cannot be used: reported before any row is read.
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize)]
pub struct HeaderError {
    /// Required columns not found, as the template names them.
    pub missing: Vec<String>,
    /// Expected columns found more than once.
    pub duplicated: Vec<DuplicatedColumn>,
    /// Columns not recognised, listed to help spot a misspelt header.
    pub unknown: Vec<UnknownColumn>,
}

impl HeaderError {
    /// A stable snake_case code for the API.
    pub fn code(&self) -> &'static str {
        if self.missing.is_empty() {
            "duplicated_columns"
        } else {
            "missing_columns"
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |names: &[String]| {
            names
                .iter()
                .map(|name| format!("« {name} »"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut sentences = Vec::new();
        if !self.missing.is_empty() {
            let plural = if self.missing.len() > 1 { "s" } else { "" };
            sentences.push(format!(
                "Colonne{plural} obligatoire{plural} absente{plural} de la première ligne du \
                 fichier : {}.",
                quoted(&self.missing)
            ));
        }
        for duplicate in &self.duplicated {
            sentences.push(format!(
                "La colonne « {} » apparaît plusieurs fois : {}.",
                duplicate.expected,
                quoted(&duplicate.headers)
            ));
        }
        if !self.missing.is_empty() && !self.unknown.is_empty() {
            let headers: Vec<String> = self.unknown.iter().map(|u| u.header.clone()).collect();
            sentences.push(format!("Colonnes non reconnues : {}.", quoted(&headers)));
        }
        f.write_str(&sentences.join(" "))
    }
}

/// Where each expected column is in a file, and the header cells as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    positions: HashMap<&'static str, usize>,
    headers: Vec<String>,
    unknown: Vec<UnknownColumn>,
}

impl HeaderMap {
    /// Matches a header row against the columns of a kind; all problems are reported at once.
    pub fn match_headers(header: &[String], specs: &[ColumnSpec]) -> Result<Self, HeaderError> {
        let lookup: HashMap<String, &ColumnSpec> = specs
            .iter()
            .flat_map(|spec| spec.names.iter().map(move |name| (fold(name), spec)))
            .collect();
        let ignored = [
            fold(ERRORS_HEADER),
            fold(WARNINGS_HEADER),
            fold(LINE_HEADER),
        ];
        let mut found: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut unknown = Vec::new();
        for (column, cell) in header.iter().enumerate() {
            let key = fold(cell);
            if key.is_empty() || ignored.contains(&key) {
                continue;
            }
            match lookup.get(&key) {
                Some(spec) => found.entry(spec.key).or_default().push(column),
                None => unknown.push(UnknownColumn {
                    column: column_letter(column),
                    header: cell.trim().to_owned(),
                }),
            }
        }
        let missing: Vec<String> = specs
            .iter()
            .filter(|spec| spec.required && !found.contains_key(spec.key))
            .map(ColumnSpec::display_name)
            .collect();
        let duplicated: Vec<DuplicatedColumn> = specs
            .iter()
            .filter_map(|spec| {
                let columns = found.get(spec.key).filter(|columns| columns.len() > 1)?;
                Some(DuplicatedColumn {
                    expected: spec.display_name(),
                    headers: columns
                        .iter()
                        .map(|&c| header[c].trim().to_owned())
                        .collect(),
                })
            })
            .collect();
        if !missing.is_empty() || !duplicated.is_empty() {
            return Err(HeaderError {
                missing,
                duplicated,
                unknown,
            });
        }
        Ok(Self {
            positions: found
                .into_iter()
                .filter_map(|(key, columns)| Some((key, *columns.first()?)))
                .collect(),
            headers: header.iter().map(|cell| cell.trim().to_owned()).collect(),
            unknown,
        })
    }

    /// The 0-based column of an expected column, if the file has it.
    pub fn position(&self, spec: &ColumnSpec) -> Option<usize> {
        self.positions.get(spec.key).copied()
    }

    /// Whether the file has this expected column.
    pub fn has(&self, spec: &ColumnSpec) -> bool {
        self.positions.contains_key(spec.key)
    }

    /// The header of a column as written (trimmed), or "" for a column without header.
    pub fn header(&self, column: usize) -> &str {
        self.headers.get(column).map_or("", String::as_str)
    }

    /// Whether a column has a header cell (known, unknown or « Erreurs »).
    pub fn is_named(&self, column: usize) -> bool {
        !self.header(column).is_empty()
    }

    /// The header cells as written, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The columns that were not recognised, to show the agent they were ignored.
    pub fn unknown(&self) -> &[UnknownColumn] {
        &self.unknown
    }
}

/// The Excel letter of a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letter(column: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(char::from(b'A' + rest as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRSTNAME: ColumnSpec = ColumnSpec {
        key: "firstname",
        names: &["Prénom"],
        required: true,
        label: "Le prénom",
    };
    const EMAIL: ColumnSpec = ColumnSpec {
        key: "email",
        names: &["Email", "Courriel"],
        required: false,
        label: "Le courriel",
    };
    const LASTNAME: ColumnSpec = ColumnSpec {
        key: "lastname",
        names: &["Nom"],
        required: true,
        label: "Le nom",
    };
    const SPECS: &[ColumnSpec] = &[FIRSTNAME, LASTNAME, EMAIL];

    fn cells(line: &str) -> Vec<String> {
        line.split(';').map(str::to_owned).collect()
    }

    #[test]
    fn any_order_case_accents_spaces_and_stars() {
        let map = HeaderMap::match_headers(&cells(" NOM ;courriel;PRENOM*;Autre"), SPECS).unwrap();
        assert_eq!(map.position(&LASTNAME), Some(0));
        assert_eq!(map.position(&EMAIL), Some(1));
        assert_eq!(map.position(&FIRSTNAME), Some(2));
        assert_eq!(map.header(0), "NOM");
        assert_eq!(
            map.unknown(),
            &[UnknownColumn {
                column: "D".into(),
                header: "Autre".into()
            }]
        );
    }

    #[test]
    fn optional_columns_may_be_absent_and_errors_column_is_ignored() {
        let map = HeaderMap::match_headers(&cells("Prénom;Nom;;Erreurs"), SPECS).unwrap();
        assert!(!map.has(&EMAIL));
        assert!(map.unknown().is_empty());
        assert!(!map.is_named(2));
        assert!(map.is_named(3));
    }

    #[test]
    fn missing_columns_are_all_listed() {
        let error = HeaderMap::match_headers(&cells("Courriel;Prenon"), SPECS).unwrap_err();
        assert_eq!(error.missing, vec!["Prénom*", "Nom*"]);
        assert_eq!(error.code(), "missing_columns");
        assert_eq!(
            error.to_string(),
            "Colonnes obligatoires absentes de la première ligne du fichier : « Prénom* », \
             « Nom* ». Colonnes non reconnues : « Prenon »."
        );
    }

    #[test]
    fn synonyms_of_one_column_twice_are_an_error() {
        let error =
            HeaderMap::match_headers(&cells("Prénom;Nom;Email;Courriel"), SPECS).unwrap_err();
        assert!(error.missing.is_empty());
        assert_eq!(error.code(), "duplicated_columns");
        assert_eq!(
            error.to_string(),
            "La colonne « Email » apparaît plusieurs fois : « Email », « Courriel »."
        );
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
