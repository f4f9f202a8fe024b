//! Comparison keys for text typed by agents: « Prénom* », « prenom » and « PRÉ NOM » are the
//! same header, « Conjoint » and « CONJOINT » the same role.
//!
//! Accents are folded with a table of the Latin letters French names and headers use rather
//! than full Unicode decomposition: headers come from a small, known vocabulary, and a letter
//! outside the table is kept as it is (it then only compares equal to itself).

/// The comparison key of a text: lowercase, without accents, spaces, `*`, `_` or a byte-order
/// mark, with typographic apostrophes and ligatures made plain.
pub(crate) fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() || matches!(c, '*' | '_' | '\u{feff}' | '\u{200b}') {
            continue;
        }
        for lower in c.to_lowercase() {
            match lower {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => folded.push('a'),
                'ç' => folded.push('c'),
                'è' | 'é' | 'ê' | 'ë' => folded.push('e'),
                'ì' | 'í' | 'î' | 'ï' => folded.push('i'),
                'ñ' => folded.push('n'),
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' => folded.push('o'),
                'ù' | 'ú' | 'û' | 'ü' => folded.push('u'),
                'ý' | 'ÿ' => folded.push('y'),
                'œ' => folded.push_str("oe"),
                'æ' => folded.push_str("ae"),
                '’' | '‘' | '`' | '´' | 'ʼ' => folded.push('\''),
                // The masculine ordinal is often typed for the degree sign of « N° ».
                'º' => folded.push('°'),
                other => folded.push(other),
            }
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_accents_spaces_stars_and_marks() {
        assert_eq!(fold("Prénom*"), "prenom");
        assert_eq!(fold(" PRÉ NOM "), "prenom");
        assert_eq!(fold("\u{feff}Civilité"), "civilite");
        assert_eq!(fold("N° Téléphones"), "n°telephones");
        assert_eq!(fold("Nº CAF"), "n°caf");
        assert_eq!(fold("i_nom_usage"), "inomusage");
        assert_eq!(fold("Prime d’activité"), fold("prime d'activite"));
        assert_eq!(fold("CŒUR\u{a0}Ÿ"), "coeury");
        assert_eq!(fold("Rôle"), fold("Role"));
    }
}
