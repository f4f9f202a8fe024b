//! What stops a flux file from being read, and what is worth a warning only.

use std::fmt;

use cdb_connector::identity::{CafMatriculeError, CafOrganisationError, NirError};
use thiserror::Error;

/// A place in the original file: 1-based line and column, 0-based byte offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: u64,
    /// Column in characters, from 1.
    pub column: u64,
    /// Offset in bytes of the file as stored (windows-1252: one byte per character).
    pub byte: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.byte
        )
    }
}

/// Why a file cannot be read: the whole file is to be rejected and kept for inspection.
#[derive(Debug, Error)]
pub enum FluxError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The XML declaration names an encoding this reader does not handle.
    #[error(
        "unsupported encoding {label:?}: UTF-8 or a single-byte encoding such as windows-1252 expected"
    )]
    UnsupportedEncoding {
        /// The label as declared.
        label: String,
    },
    /// A byte sequence is not valid in the file's encoding.
    #[error("{position}: bytes that are not valid {encoding}")]
    Decoding {
        /// Where decoding failed (the start of the markup or text being read).
        position: Position,
        /// The encoding's name.
        encoding: &'static str,
    },
    /// The file is not well-formed XML.
    #[error("{position}: not well-formed XML: {message}")]
    Syntax {
        /// Where the faulty markup starts.
        position: Position,
        /// What is wrong.
        message: String,
    },
    /// The file is well-formed but breaks the schema `vrsb0801.xsd`.
    #[error("{position}, in {path}: {problem}")]
    Schema {
        /// Where the offending element or value starts.
        position: Position,
        /// Element path, e.g. `Racine/InfosFoyerRSA[2]/Personne[1]/Identification`.
        path: String,
        /// What the schema expected.
        problem: SchemaProblem,
    },
    /// The file goes beyond a bound of the reader ([`Limit`]); the message is in French,
    /// for the agent who uploaded it.
    #[error(
        "Le fichier contient {limit} à la ligne {line} : ce n'est pas un flux CAF/MSA valide.",
        line = .position.line
    )]
    Limit {
        /// Where the offending text or element starts.
        position: Position,
        /// The bound gone beyond.
        limit: Limit,
    },
}

/// A bound of the reader that a file goes beyond. No real flux comes near any of them: a
/// file that does is hostile or is not a flux, and is refused before it is held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A text node, or a value put together from text, references and CDATA, longer than
    /// `max_bytes` (of decoded UTF-8).
    Text {
        /// The bound, in bytes.
        max_bytes: usize,
    },
    /// A tag (name and attributes), comment, declaration or CDATA section longer than
    /// `max_bytes`.
    Markup {
        /// The bound, in bytes.
        max_bytes: usize,
    },
    /// More than `max` elements open at once.
    Depth {
        /// The bound.
        max: usize,
    },
    /// More than `max` attributes on one element.
    Attributes {
        /// The bound.
        max: usize,
    },
}

impl fmt::Display for Limit {
    /// What went beyond the bound, in French for the agents who read the file's report.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text { max_bytes } => write!(f, "un texte de plus de {}", Size(*max_bytes)),
            Self::Markup { max_bytes } => write!(
                f,
                "une balise, un commentaire ou une déclaration de plus de {}",
                Size(*max_bytes)
            ),
            Self::Depth { max } => write!(f, "plus de {max} éléments imbriqués"),
            Self::Attributes { max } => write!(f, "un élément de plus de {max} attributs"),
        }
    }
}

/// A size in bytes, in kibibytes when it is a whole number of them.
struct Size(usize);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1024 && self.0.is_multiple_of(1024) {
            write!(f, "{} Kio", self.0 / 1024)
        } else {
            write!(f, "{} octets", self.0)
        }
    }
}

/// How a file breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SchemaProblem {
    /// The document's root is not `Racine`.
    #[error("the root element is <{found}>, <Racine> expected")]
    WrongRoot {
        /// The root found.
        found: String,
    },
    /// An element where the sequence does not allow it.
    #[error("unexpected <{found}>, expected {expected}")]
    UnexpectedElement {
        /// The element found.
        found: String,
        /// What the sequence allowed at that point.
        expected: String,
    },
    /// A mandatory element is missing when its parent closes.
    #[error("<{missing}> is missing")]
    MissingElement {
        /// The first missing element.
        missing: &'static str,
    },
    /// A simple value has the wrong type or length.
    #[error("value {value:?} of <{element}> is not {expected}")]
    InvalidValue {
        /// The element holding the value.
        element: &'static str,
        /// The value, cut to 40 characters; personal values (NIR, names, birth date,
        /// matricule) only as their length.
        value: String,
        /// What the schema expects.
        expected: String,
    },
    /// An element inside a simple value.
    #[error("<{found}> inside <{element}>, which holds a simple value")]
    ElementInValue {
        /// The simple-value element.
        element: &'static str,
        /// The element found inside it.
        found: String,
    },
    /// Text where only elements are allowed.
    #[error("text {text:?} where only elements are allowed")]
    Text {
        /// The text (cut to 40 characters).
        text: String,
    },
    /// An attribute the schema does not declare.
    #[error("attribute {attribute} is not allowed on <{element}>")]
    UnexpectedAttribute {
        /// The element.
        element: String,
        /// The attribute.
        attribute: String,
    },
    /// The file ends with elements still open (truncated file).
    #[error("the file ends before the document does")]
    UnexpectedEnd,
    /// The file holds no root element at all.
    #[error("the file holds no XML element")]
    NoRoot,
}

/// A file-level oddity that does not make the file unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FluxWarning {
    /// The trailer's household count disagrees with the households read (seen in real
    /// files: `NBTOTDOSRSATRANSM=00000001` with 2 households).
    #[error("the trailer announces {declared} households, {read} were read")]
    TrailerCountMismatch {
        /// `NBTOTDOSRSATRANSM`.
        declared: u64,
        /// Households actually read.
        read: u64,
    },
}

/// A household-level oddity: the value is left out of the records, the rest is kept.
///
/// Persons are numbered from 1 in file order; personal values (NIR) are never repeated here.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HouseholdWarning {
    /// FONORG/NUMORG do not form a CAF/MSA organisation.
    #[error("organisation {fund:?} {number:?} not usable: {problem}")]
    Organisation {
        /// FONORG as written.
        fund: String,
        /// NUMORG as written.
        number: String,
        /// Why.
        problem: CafOrganisationError,
    },
    /// MATRICULE cannot be normalised.
    #[error("matricule {value:?} not usable: {problem}")]
    Matricule {
        /// MATRICULE as written.
        value: String,
        /// Why.
        problem: CafMatriculeError,
    },
    /// A person's NIR is not a valid NIR.
    #[error("person {person}: NIR not usable: {problem}")]
    Nir {
        /// The person's number in the household.
        person: usize,
        /// Why.
        problem: NirError,
    },
    /// A person's ROLEPERS is not a known role.
    #[error("person {person}: unknown role {code:?}")]
    Role {
        /// The person's number in the household.
        person: usize,
        /// ROLEPERS as written.
        code: String,
    },
    /// A person's SEXE is neither 1 nor 2.
    #[error("person {person}: unknown sex code {code:?}")]
    Sex {
        /// The person's number in the household.
        person: usize,
        /// SEXE as written.
        code: String,
    },
    /// ETATDOSRSA is not one of 0–6 (`Z` and blank mean undefined).
    #[error("RSA state {code:?} is undefined or unknown")]
    RsaState {
        /// ETATDOSRSA as written.
        code: String,
    },
    /// MOTISUSVERSRSA has no slug in `rsa_suspension_reason`.
    #[error("payment suspension reason {code:?} has no slug in rsa_suspension_reason")]
    SuspensionReason {
        /// MOTISUSVERSRSA, trimmed.
        code: String,
    },
    /// MOTICLORSA has no slug in `rsa_closure_reason`.
    #[error("closure reason {code:?} has no slug in rsa_closure_reason")]
    ClosureReason {
        /// MOTICLORSA, trimmed.
        code: String,
    },
    /// SITFAM is not a known family situation.
    #[error("unknown family situation {code:?}")]
    FamilySituation {
        /// SITFAM, trimmed.
        code: String,
    },
    /// No address of rank 01 (current); the lowest rank was used.
    #[error("no current address (RGADR 01); rank {used:02} used")]
    NoCurrentAddress {
        /// The rank used instead.
        used: u8,
    },
    /// CODEPOS is not a French postal code.
    #[error("postal code {value:?} not usable")]
    PostalCode {
        /// CODEPOS as written.
        value: String,
    },
}

/// Cuts a value to `max` characters for an error message, on a character boundary.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_on_character_boundaries() {
        assert_eq!(excerpt("éléphant", 3), "élé…");
        assert_eq!(excerpt("abc", 3), "abc");
    }

    #[test]
    fn schema_errors_say_where_and_what() {
        let error = FluxError::Schema {
            position: Position {
                line: 12,
                column: 4,
                byte: 310,
            },
            path: "Racine/InfosFoyerRSA[1]/Personne[1]/Identification".to_owned(),
            problem: SchemaProblem::UnexpectedElement {
                found: "PRENOM".to_owned(),
                expected: "<NOMNAI>".to_owned(),
            },
        };
        assert_eq!(
            error.to_string(),
            "line 12, column 4 (byte 310), in Racine/InfosFoyerRSA[1]/Personne[1]/Identification: \
             unexpected <PRENOM>, expected <NOMNAI>"
        );
    }

    #[test]
    fn limits_are_told_in_french_with_their_line() {
        let at = Position {
            line: 3,
            column: 9,
            byte: 120,
        };
        let error = |limit| FluxError::Limit {
            position: at,
            limit,
        };
        assert_eq!(
            error(Limit::Text {
                max_bytes: 64 * 1024
            })
            .to_string(),
            "Le fichier contient un texte de plus de 64 Kio à la ligne 3 : \
             ce n'est pas un flux CAF/MSA valide."
        );
        assert_eq!(
            error(Limit::Markup { max_bytes: 100 }).to_string(),
            "Le fichier contient une balise, un commentaire ou une déclaration de plus de \
             100 octets à la ligne 3 : ce n'est pas un flux CAF/MSA valide."
        );
        assert!(
            error(Limit::Depth { max: 64 })
                .to_string()
                .contains("plus de 64 éléments imbriqués à la ligne 3")
        );
        assert!(
            error(Limit::Attributes { max: 16 })
                .to_string()
                .contains("un élément de plus de 16 attributs")
        );
    }
}
