//! Comparison keys for text typed by agents: « Prénom* », « prenom » and « PRÉ NOM » are the
//! same header, « En recherche d’emploi » and « en recherche d'emploi » the same label.
//!
//! Accents are folded with Unicode canonical decomposition, dropping the combining marks,
//! rather than with a hand-written table: it covers every accented Latin letter (including
//! capitals and the rarer ones in names from overseas départements) for the cost of the small
//! `unicode-normalization` crate.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The comparison key of a text: lowercase, without accents, spaces, `*` or `_`, with
/// typographic apostrophes and ligatures made plain.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfd() {
        match c {
            c if is_combining_mark(c) => {}
            c if c.is_whitespace() || c == '*' || c == '_' => {}
            '’' | '‘' | '`' | '´' | 'ʼ' => folded.push('\''),
            'œ' | 'Œ' => folded.push_str("oe"),
            'æ' | 'Æ' => folded.push_str("ae"),
            c => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_accents_spaces_stars_and_apostrophes() {
        assert_eq!(fold("Prénom*"), "prenom");
        assert_eq!(fold(" PRÉ NOM "), "prenom");
        assert_eq!(
            fold("Numéro allocataire CAF/MSA"),
            "numeroallocatairecaf/msa"
        );
        assert_eq!(
            fold("En recherche d’alternance"),
            fold("en recherche d'alternance")
        );
        assert_eq!(
            fold("Intermittent du spectacle "),
            "intermittentduspectacle"
        );
        assert_eq!(fold("date_de_naissance"), "datedenaissance");
        assert_eq!(fold("Cœur\u{a0}Ÿ"), "coeury");
        assert_eq!(fold("Ça"), "ca");
    }
}
