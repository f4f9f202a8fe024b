//! Comparison keys for text typed by people: « Prénom* », « prenom » and « PRÉ NOM » are the
//! same header, « En recherche d’emploi » and « en recherche d'emploi » the same label,
//! « Conjoint » and « CONJOINT » the same role. The one folding of the hub, its templates and
//! the départements' profiles.
//!
//! Accents are folded with Unicode canonical decomposition, dropping the combining marks,
//! rather than with a hand-written table: it covers every accented Latin letter (including
//! capitals and the rarer ones in names from overseas départements).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The comparison key of a text: lowercase, without accents, spaces, `*`, `_`, byte-order or
/// zero-width marks, with typographic apostrophes, ligatures and `º` (typed for the `°` of
/// « N° ») made plain.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfd() {
        match c {
            c if is_combining_mark(c) => {}
            c if c.is_whitespace() || matches!(c, '*' | '_' | '\u{feff}' | '\u{200b}') => {}
            '’' | '‘' | '`' | '´' | 'ʼ' => folded.push('\''),
            'œ' | 'Œ' => folded.push_str("oe"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'º' => folded.push('°'),
            c => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::fold;
    use proptest::prelude::*;

    #[test]
    fn folds_case_accents_spaces_stars_marks_and_apostrophes() {
        assert_eq!(fold("Prénom*"), "prenom");
        assert_eq!(fold(" PRÉ NOM "), "prenom");
        assert_eq!(fold("\u{feff}Civilité"), "civilite");
        assert_eq!(fold("N° Téléphones"), "n°telephones");
        assert_eq!(fold("Nº CAF"), "n°caf");
        assert_eq!(fold("i_nom_usage"), "inomusage");
        assert_eq!(
            fold("Numéro allocataire CAF/MSA"),
            "numeroallocatairecaf/msa"
        );
        assert_eq!(
            fold("En recherche d’alternance"),
            fold("en recherche d'alternance")
        );
        assert_eq!(fold("Prime d’activité"), fold("prime d'activite"));
        assert_eq!(fold("Cœur\u{a0}Ÿ"), "coeury");
        assert_eq!(fold("CŒUR\u{a0}Ÿ"), "coeury");
        assert_eq!(fold("Rôle"), fold("Role"));
        assert_eq!(fold("Ça"), "ca");
    }

    proptest! {
        #[test]
        fn folding_is_idempotent_and_ignores_case_and_spacing(text in "\\PC{0,40}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert_eq!(fold(&format!(" {} ", text.to_uppercase())), fold(&text.to_uppercase()));
            prop_assert!(!once.contains(char::is_whitespace));
        }
    }
}
