//! Corrections of a previewed import: its errors file, corrected in Excel and sent back into
//! the same import. Each line of the file names the « Ligne d'origine » it replaces; its cells
//! are aligned on the original header by column name (the agent may have moved, but not
//! removed, a column), so the next preview and the commit read the corrected line in place of
//! the original one, under its original line number.

use std::collections::BTreeSet;
use std::io::Read;

use cdb_connector::text::fold;
use serde::Serialize;

use super::headers::LINE_HEADER;
use super::table::{ReadOptions, Table, TableError};

/// The most lines one corrections file may carry.
pub const MAX_CORRECTIONS: usize = 100_000;

/// The most problems reported for one file (the first ones, by line).
const MAX_PROBLEMS: usize = 200;

/// One corrected line: the original line it replaces and its cells in the original's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The line of the original file.
    pub line: i32,
    /// The cells, in the original header's order.
    pub cells: Vec<String>,
}

/// Why a line of the corrections file (or the whole file, line 1) cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CorrectionProblem {
    /// The line of the corrections file.
    pub line: u64,
    /// The column's header (empty for the whole line).
    pub column: String,
    /// The cell as read.
    pub value: String,
    /// Stable code: `missing_line_column`, `missing_column`, `invalid_line`,
    /// `line_not_to_correct`, `duplicate_line` or `too_many_lines`.
    pub code: String,
    /// In French, for the agent.
    pub message: String,
}

/// Why a corrections file is refused.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionsError {
    /// The file cannot be read as a table.
    #[error(transparent)]
    Table(#[from] TableError),
    /// Lines (or columns) that cannot be taken; nothing is taken then.
    #[error("{} problem(s) in the corrections file", .0.len())]
    Problems(Vec<CorrectionProblem>),
}

fn problem(line: u64, column: &str, value: &str, code: &str, message: String) -> CorrectionProblem {
    CorrectionProblem {
        line,
        column: column.to_owned(),
        value: value.chars().take(200).collect(),
        code: code.to_owned(),
        message,
    }
}

/// Where each original column is in the corrections file.
fn positions(
    original: &[String],
    header: &[String],
) -> Result<Vec<Option<usize>>, Vec<CorrectionProblem>> {
    let folded: Vec<String> = header.iter().map(|cell| fold(cell)).collect();
    let mut taken = vec![false; header.len()];
    let mut problems = Vec::new();
    let mut positions = Vec::with_capacity(original.len());
    for (index, name) in original.iter().enumerate() {
        let key = fold(name);
        if key.is_empty() {
            // A column without a header: the same place, if it has no header there either.
            let same =
                (folded.get(index).is_some_and(String::is_empty) && !taken[index]).then_some(index);
            if let Some(at) = same {
                taken[at] = true;
            }
            positions.push(same);
            continue;
        }
        match (0..folded.len()).find(|at| !taken[*at] && folded[*at] == key) {
            Some(at) => {
                taken[at] = true;
                positions.push(Some(at));
            }
            None => {
                problems.push(problem(
                    1,
                    name.trim(),
                    "",
                    "missing_column",
                    format!(
                        "La colonne « {} » du fichier d'origine manque : gardez toutes les colonnes du fichier des erreurs.",
                        name.trim()
                    ),
                ));
                positions.push(None);
            }
        }
    }
    if problems.is_empty() {
        Ok(positions)
    } else {
        Err(problems)
    }
}

/// Reads a corrections file against the original header and the lines that may be corrected
/// (those in error or with warnings). Blank lines are skipped; any problem refuses the file.
pub fn read<R: Read + std::io::Seek>(
    file: R,
    options: &ReadOptions,
    original_header: &[String],
    correctable: &BTreeSet<i32>,
) -> Result<Vec<Correction>, CorrectionsError> {
    let table = Table::open(file, options)?;
    let header = table.header().cells.clone();
    let line_key = fold(LINE_HEADER);
    let Some(line_column) = header.iter().position(|cell| fold(cell) == line_key) else {
        return Err(CorrectionsError::Problems(vec![problem(
            1,
            LINE_HEADER,
            "",
            "missing_line_column",
            format!(
                "Le fichier ne dit pas quelle ligne chaque correction remplace : gardez la colonne « {LINE_HEADER} » du fichier des erreurs."
            ),
        )]));
    };
    let positions = positions(original_header, &header).map_err(CorrectionsError::Problems)?;
    let mut corrections = Vec::new();
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for row in table {
        let row = row?;
        if row.cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        if corrections.len() >= MAX_CORRECTIONS {
            problems.push(problem(
                row.line,
                "",
                "",
                "too_many_lines",
                format!("Un fichier de corrections compte au plus {MAX_CORRECTIONS} lignes."),
            ));
            break;
        }
        let raw = row.cells.get(line_column).map_or("", |cell| cell.trim());
        let Some(line) = raw.parse::<i32>().ok().filter(|line| *line > 1) else {
            problems.push(problem(
                row.line,
                LINE_HEADER,
                raw,
                "invalid_line",
                format!("« {raw} » n'est pas un numéro de ligne du fichier d'origine : gardez la valeur du fichier des erreurs."),
            ));
            continue;
        };
        if !correctable.contains(&line) {
            problems.push(problem(
                row.line,
                LINE_HEADER,
                raw,
                "line_not_to_correct",
                format!("La ligne {line} du fichier d'origine n'est ni en erreur ni avec avertissement : elle n'est pas à corriger ici."),
            ));
            continue;
        }
        if !seen.insert(line) {
            problems.push(problem(
                row.line,
                LINE_HEADER,
                raw,
                "duplicate_line",
                format!(
                    "La ligne {line} du fichier d'origine est corrigée deux fois dans ce fichier."
                ),
            ));
            continue;
        }
        let cells = positions
            .iter()
            .map(|at| {
                at.and_then(|at| row.cells.get(at))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        corrections.push(Correction { line, cells });
    }
    if problems.is_empty() {
        Ok(corrections)
    } else {
        Err(CorrectionsError::Problems(problems))
    }
}

#[cfg(test)]
mod tests;
