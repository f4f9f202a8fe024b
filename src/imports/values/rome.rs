//! ROME job codes (répertoire opérationnel des métiers et des emplois), given as a bare code
//! (`N1104`) or as the referential's label ending with the code in parentheses
//! (`Pontier élingueur / Pontière élingueuse (N1104)`). Whether the code exists is checked
//! against the `rome_code` table by the caller, not here.

use super::{CellError, ErrorCode, Items, quote_all};

/// A wanted job: its ROME code and, when given, the job title written before it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RomeCode {
    /// The code, one letter A–N and four digits, uppercase.
    pub code: String,
    /// The job title (appellation) before the code, if the cell had one.
    pub description: Option<String>,
}

/// Parses one ROME code or labelled code.
pub fn rome(raw: &str, label: &str) -> Result<RomeCode, CellError> {
    parse_item(raw.trim()).ok_or_else(|| invalid(label, &[raw.trim()]))
}

/// Parses a list of codes or labels separated by commas, semicolons or line breaks; a label
/// may itself contain commas (`Styliste lingerie, corseterie (B1805)`).
pub fn rome_list(raw: &str, label: &str) -> Result<Vec<RomeCode>, CellError> {
    rome_items(raw, label).into_result()
}

/// The wanted jobs of a cell that name a ROME code, and the error naming those that do not.
pub fn rome_items(raw: &str, label: &str) -> Items<RomeCode> {
    let mut codes: Vec<RomeCode> = Vec::new();
    let mut invalid_items: Vec<String> = Vec::new();
    let mut pending = String::new();
    for piece in raw.split_inclusive([',', ';', '\n']) {
        let item = piece.trim_end_matches([',', ';', '\n']).trim();
        if is_bare_code(item) {
            flush(&mut pending, &mut invalid_items);
            push_unique(bare(item), &mut codes);
            continue;
        }
        pending.push_str(piece);
        let candidate = pending.trim_end_matches([',', ';', '\n']).trim();
        if candidate.is_empty() {
            pending.clear();
        } else if let Some(code) = labelled(candidate) {
            push_unique(code, &mut codes);
            pending.clear();
        }
    }
    flush(&mut pending, &mut invalid_items);
    Items {
        invalid: (!invalid_items.is_empty()).then(|| {
            invalid(
                label,
                &invalid_items.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        }),
        values: codes,
    }
}

fn push_unique(code: RomeCode, codes: &mut Vec<RomeCode>) {
    if !codes.iter().any(|known| known.code == code.code) {
        codes.push(code);
    }
}

fn flush(pending: &mut String, invalid_items: &mut Vec<String>) {
    let text = pending.trim_end_matches([',', ';', '\n']).trim();
    if !text.is_empty() {
        invalid_items.push(text.to_owned());
    }
    pending.clear();
}

fn invalid(label: &str, items: &[&str]) -> CellError {
    let what = match items {
        [one] => format!("{label} « {one} » ne contient pas de code ROME"),
        _ => format!(
            "{label} contient des valeurs sans code ROME : {}",
            quote_all(items.iter().copied())
        ),
    };
    CellError::new(
        ErrorCode::InvalidRome,
        format!(
            "{what} : écrivez le code (par exemple N1104) ou le libellé suivi du code entre \
             parenthèses, comme « Pontier élingueur / Pontière élingueuse (N1104) »"
        ),
    )
}

fn parse_item(item: &str) -> Option<RomeCode> {
    if is_bare_code(item) {
        Some(bare(item))
    } else {
        labelled(item)
    }
}

fn is_bare_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 5
        && (b'A'..=b'N').contains(&bytes[0].to_ascii_uppercase())
        && bytes[1..].iter().all(u8::is_ascii_digit)
}

fn bare(code: &str) -> RomeCode {
    RomeCode {
        code: code.to_ascii_uppercase(),
        description: None,
    }
}

/// `description (CODE)`, the referential's label form.
fn labelled(text: &str) -> Option<RomeCode> {
    let inner = text.strip_suffix(')')?;
    let (description, code) = inner.rsplit_once('(')?;
    let code = code.trim();
    let description = description.trim();
    (is_bare_code(code) && !description.is_empty()).then(|| RomeCode {
        code: code.to_ascii_uppercase(),
        description: Some(description.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: &str = "L'emploi recherché";

    #[test]
    fn a_bare_code_or_a_label_with_its_code() {
        assert_eq!(
            rome(" n1104 ", LABEL),
            Ok(RomeCode {
                code: "N1104".into(),
                description: None
            })
        );
        assert_eq!(
            rome("Pontier élingueur / Pontière élingueuse (N1104)", LABEL),
            Ok(RomeCode {
                code: "N1104".into(),
                description: Some("Pontier élingueur / Pontière élingueuse".into())
            })
        );
        assert_eq!(
            rome("Aide d'élevage cunicole (lapins) (A1403)", LABEL)
                .unwrap()
                .description
                .as_deref(),
            Some("Aide d'élevage cunicole (lapins)")
        );
    }

    #[test]
    fn invalid_codes() {
        for value in [
            "Boulanger",
            "Z1101",
            "A110",
            "A11011",
            "(A1101)",
            "Boulanger (1101)",
        ] {
            assert_eq!(
                rome(value, LABEL).unwrap_err().code,
                ErrorCode::InvalidRome,
                "{value}"
            );
        }
        assert_eq!(
            rome("Boulanger", LABEL).unwrap_err().message,
            "L'emploi recherché « Boulanger » ne contient pas de code ROME : écrivez le code \
             (par exemple N1104) ou le libellé suivi du code entre parenthèses, comme « Pontier \
             élingueur / Pontière élingueuse (N1104) »"
        );
    }

    #[test]
    fn lists_with_commas_inside_labels() {
        let list = rome_list(
            "Styliste lingerie, corseterie (B1805), A1101;\nModéliste en bijouterie, orfèvrerie, \
             joaillerie (B1603), a1101",
            LABEL,
        )
        .unwrap();
        let codes: Vec<&str> = list.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["B1805", "A1101", "B1603"]);
        assert_eq!(
            list[0].description.as_deref(),
            Some("Styliste lingerie, corseterie")
        );
        assert_eq!(rome_list("", LABEL), Ok(vec![]));
    }

    #[test]
    fn lists_report_every_item_without_code() {
        let error = rome_list("Boulanger, A1101, Pâtissier", LABEL).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRome);
        assert!(error.message.starts_with(
            "L'emploi recherché contient des valeurs sans code ROME : « Boulanger », « Pâtissier »"
        ));
    }
}
