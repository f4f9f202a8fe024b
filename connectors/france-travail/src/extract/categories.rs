//! Which focus theme an action of the `actions` extract belongs to, from carnet-de-bord's
//! categorisation file (`actions;focus`).

use std::collections::HashMap;

use super::ExtractError;
use crate::themes::FocusTheme;

/// carnet-de-bord's categorisation of France Travail action labels.
const BUILTIN: &str = include_str!("../../data/categorisation_des_actions_du_fichier_PE.csv");

/// Action label → focus theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionCategories {
    themes: HashMap<String, FocusTheme>,
}

impl ActionCategories {
    /// The categorisation carnet-de-bord shipped (about 310 labels).
    pub fn builtin() -> Self {
        // The built-in file is checked by a test; a bad line there can only drop a label.
        Self::parse(BUILTIN).unwrap_or_else(|_| Self {
            themes: HashMap::new(),
        })
    }

    /// Reads an `actions;focus` file; labels without a theme or with an unknown one are
    /// left out (they were uncategorised in carnet-de-bord too).
    pub fn parse(text: &str) -> Result<Self, ExtractError> {
        let mut lines = text.lines();
        let header = lines.next().ok_or(ExtractError::Empty)?;
        if !header
            .trim_start_matches('\u{feff}')
            .trim()
            .eq_ignore_ascii_case("actions;focus")
        {
            return Err(ExtractError::MissingColumns(vec![
                "actions".to_owned(),
                "focus".to_owned(),
            ]));
        }
        let themes = lines
            .filter_map(|line| {
                let (label, focus) = line.rsplit_once(';')?;
                Some((normalise(label), FocusTheme::from_slug(focus)?))
            })
            .collect();
        Ok(Self { themes })
    }

    /// The theme of an action label (case and surrounding spaces ignored).
    pub fn theme(&self, label: &str) -> Option<FocusTheme> {
        self.themes.get(&normalise(label)).copied()
    }

    /// How many labels have a theme.
    pub fn len(&self) -> usize {
        self.themes.len()
    }

    /// True when no label has a theme.
    pub fn is_empty(&self) -> bool {
        self.themes.is_empty()
    }
}

fn normalise(label: &str) -> String {
    label.trim().to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_reads_whole() {
        let categories = ActionCategories::builtin();
        // 312 lines: two labels without a theme, two labels listed twice.
        assert_eq!(categories.len(), 308);
        assert_eq!(
            categories.theme("accelER'emploi "),
            Some(FocusTheme::Emploi)
        );
        assert_eq!(categories.theme("ECRIVAIN PUBLIC"), None);
    }
}
