//! Binding a profile to a file's header line: which position holds which column, which
//! headers the profile does not know, and every problem of the header at once.

use std::collections::HashMap;

use crate::error::{DuplicatedColumn, HeaderError, UnknownColumn};
use crate::profile::{Column, Profile};
use cdb_connector::text::fold;

/// A profile bound to one file's header: ready to read its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundProfile<'p> {
    pub(crate) profile: &'p Profile,
    /// (index of the profile's column, position of the cell in a row), in the profile's order.
    pub(crate) bound: Vec<(usize, usize)>,
    /// The header cells as written, trimmed.
    pub(crate) headers: Vec<String>,
    unknown: Vec<UnknownColumn>,
}

impl Profile {
    /// Binds the profile to a header line; every missing required column, every column
    /// found twice and every unknown header are reported together.
    pub fn bind<S: AsRef<str>>(&self, header: &[S]) -> Result<BoundProfile<'_>, HeaderError> {
        let lookup: HashMap<String, usize> = self
            .columns()
            .iter()
            .enumerate()
            .flat_map(|(index, column)| column.headers.iter().map(move |h| (fold(h), index)))
            .collect();
        let headers: Vec<String> = header
            .iter()
            .map(|h| h.as_ref().trim().to_owned())
            .collect();
        let mut found: Vec<Vec<usize>> = vec![Vec::new(); self.columns().len()];
        let mut unknown = Vec::new();
        for (position, cell) in headers.iter().enumerate() {
            let key = fold(cell);
            // A column of the profile wins over an ignored prefix that happens to match it.
            match lookup.get(&key).and_then(|&index| found.get_mut(index)) {
                Some(positions) => positions.push(position),
                None if key.is_empty() || self.ignores(&key) => {}
                None => unknown.push(UnknownColumn {
                    position,
                    header: cell.clone(),
                }),
            }
        }
        let columns = self.columns().iter().zip(&found);
        let missing: Vec<String> = columns
            .clone()
            .filter(|(column, positions)| {
                (column.required || column.column_required) && positions.is_empty()
            })
            .map(|(column, _)| column.name().to_owned())
            .collect();
        let duplicated: Vec<DuplicatedColumn> = columns
            .filter(|(_, positions)| positions.len() > 1)
            .map(|(column, positions)| DuplicatedColumn {
                expected: column.name().to_owned(),
                headers: positions
                    .iter()
                    .filter_map(|&p| headers.get(p).cloned())
                    .collect(),
            })
            .collect();
        if !missing.is_empty() || !duplicated.is_empty() {
            return Err(HeaderError {
                profile: self.name().to_owned(),
                missing,
                duplicated,
                unknown,
            });
        }
        let bound = found
            .iter()
            .enumerate()
            .filter_map(|(index, positions)| Some((index, *positions.first()?)))
            .collect();
        Ok(BoundProfile {
            profile: self,
            bound,
            headers,
            unknown,
        })
    }
}

impl<'p> BoundProfile<'p> {
    /// The profile the header was bound to.
    pub fn profile(&self) -> &'p Profile {
        self.profile
    }

    /// Headers the profile does not know: their values are ignored (shown to the agent so a
    /// misspelt header does not go unnoticed).
    pub fn unknown_columns(&self) -> &[UnknownColumn] {
        &self.unknown
    }

    /// The profile's columns found in the file, with the header as written.
    pub fn found_columns(&self) -> impl Iterator<Item = (&'p Column, &str)> + '_ {
        self.bound.iter().filter_map(|&(index, position)| {
            Some((
                self.profile.columns().get(index)?,
                self.headers.get(position)?.as_str(),
            ))
        })
    }

    /// Whether a cell at this position has no header to tell what it is.
    pub(crate) fn is_headerless(&self, position: usize) -> bool {
        self.headers.get(position).is_none_or(|h| h.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iodas() -> &'static Profile {
        Profile::named("iodas").unwrap()
    }

    #[test]
    fn headers_match_whatever_their_case_accents_and_stars() {
        let header = [
            "ID IODAS*",
            "nom beneficiaire",
            "PRÉNOM BÉNÉFICIAIRE",
            "Couleur",
            "",
            "Référent",
        ];
        let bound = iodas().bind(&header).unwrap();
        assert_eq!(
            bound.unknown_columns(),
            [UnknownColumn {
                position: 3,
                header: "Couleur".to_owned()
            }]
        );
        let found: Vec<&str> = bound.found_columns().map(|(_, h)| h).collect();
        assert_eq!(
            found,
            ["ID IODAS*", "nom beneficiaire", "PRÉNOM BÉNÉFICIAIRE"]
        );
    }

    #[test]
    fn every_missing_column_is_listed_in_french() {
        let error = iodas().bind(&["Civilité", "Nom", "Rôle"]).unwrap_err();
        assert_eq!(error.code(), "missing_columns");
        assert_eq!(error.missing, ["ID Iodas", "Prénom bénéficiaire"]);
        assert_eq!(
            error.to_string(),
            "Colonnes obligatoires absentes de la première ligne du fichier pour le profil \
             « iodas » : « ID Iodas », « Prénom bénéficiaire »."
        );
    }

    #[test]
    fn an_ignored_prefix_never_hides_a_column() {
        let text = Profile::named("webrsa_frsa")
            .unwrap()
            .bind(&["i_identifiant", "i_nom_usage", "cer_derniers"])
            .map(|bound| bound.unknown_columns().len());
        assert_eq!(text, Ok(0));
        let profile = Profile::from_toml(
            "name = \"t\"\nlabel = \"T\"\ndescription = \"T\"\nrecord_id = \"departement_id\"\n\
             default_mode = \"delta\"\nignored_prefixes = [\"id\"]\n\
             [[column]]\nfield = \"departement_id\"\nheaders = [\"Identifiant\"]\nrequired = true\n",
        )
        .unwrap();
        let bound = profile.bind(&["Identifiant", "Id annexe"]).unwrap();
        assert_eq!(bound.found_columns().count(), 1);
        assert!(bound.unknown_columns().is_empty());
    }

    #[test]
    fn a_column_found_twice_is_an_error() {
        let error = iodas()
            .bind(&[
                "ID Iodas",
                "Nom bénéficiaire",
                "Prénom bénéficiaire",
                "Role",
                "Rôle",
            ])
            .unwrap_err();
        assert_eq!(error.code(), "duplicated_columns");
        assert_eq!(error.duplicated[0].headers, ["Role", "Rôle"]);
    }
}
