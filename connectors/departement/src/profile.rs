//! Mapping profiles: one TOML file per source system (under `profiles/`), saying which
//! header names fill which canonical field, and whether a file is a stock or a delta.

use std::collections::HashMap;
use std::sync::LazyLock;

use cdb_connector::source::SourceSystem;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::field::Field;
use cdb_connector::text::fold;

/// The profiles shipped with the crate: (name, TOML text).
const BUILTIN: [(&str, &str); 4] = [
    ("cdb", include_str!("../profiles/cdb.toml")),
    ("iodas", include_str!("../profiles/iodas.toml")),
    ("webrsa_frsa", include_str!("../profiles/webrsa_frsa.toml")),
    (
        "cnaf_contacts",
        include_str!("../profiles/cnaf_contacts.toml"),
    ),
];

/// The shipped profiles, parsed once; the crate's tests prove each one parses.
static PROFILES: LazyLock<Vec<Profile>> = LazyLock::new(|| {
    BUILTIN
        .iter()
        .filter_map(|(_, text)| Profile::from_toml(text).ok())
        .collect()
});

/// What a file holds: the whole population (stock) or only what changed (delta).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileMode {
    /// Every person the source knows: someone absent from it has left the source.
    Stock,
    /// Only people created or changed since the previous file: absence means nothing.
    Delta,
}

/// A rule choosing the mode of a file from its name (WebRSA `-ALL` is a stock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileModeRule {
    /// Text the file name contains, compared without regard to case.
    pub name_contains: String,
    /// The mode of a file whose name contains it.
    pub mode: FileMode,
}

/// One column of a profile: the headers that name it and the field it fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The canonical field the column fills.
    pub field: Field,
    /// Header names (synonyms), compared without regard to case, accents, spaces and `*`;
    /// the first one names the column in messages.
    pub headers: Vec<String>,
    /// The header must be in the file and every row must fill it.
    #[serde(default)]
    pub required: bool,
    /// The header must be in the file, but a row may leave it empty.
    #[serde(default)]
    pub column_required: bool,
    /// For `address_line`: the address line the value belongs to; parts of one line are
    /// joined with a space, lines come in this order (a column without it is a line alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u8>,
}

impl Column {
    /// The name the profile gives the column first (used in messages).
    pub fn name(&self) -> &str {
        self.headers.first().map(String::as_str).unwrap_or_default()
    }
}

/// Why a profile's TOML text is not a usable profile.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    /// Not TOML, or not the profile's keys and types.
    #[error("profil illisible : {0}")]
    Syntax(String),
    /// Well-formed, but contradictory or incomplete.
    #[error("profil « {profile} » incohérent : {reason}")]
    Inconsistent {
        /// The profile's name.
        profile: String,
        /// What is wrong, in French.
        reason: String,
    },
}

/// A mapping profile: how to read the exports of one source system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    name: String,
    label: String,
    description: String,
    record_id: Field,
    default_mode: FileMode,
    #[serde(default, rename = "file_mode")]
    file_modes: Vec<FileModeRule>,
    #[serde(default)]
    ignored: Vec<String>,
    #[serde(default)]
    ignored_prefixes: Vec<String>,
    #[serde(rename = "column")]
    columns: Vec<Column>,
}

impl Profile {
    /// The profiles shipped with the crate.
    pub fn all() -> &'static [Profile] {
        &PROFILES
    }

    /// The shipped profile with this name (`cdb`, `iodas`, `webrsa_frsa`, `cnaf_contacts`).
    pub fn named(name: &str) -> Option<&'static Profile> {
        Self::all().iter().find(|profile| profile.name == name)
    }

    /// Reads and checks a profile written in TOML (the shipped ones, or a département's own).
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let profile: Self =
            toml::from_str(text).map_err(|error| ProfileError::Syntax(error.to_string()))?;
        profile.check()?;
        Ok(profile)
    }

    /// The profile's name, used in provenance as `departement:<name>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A short French title for screens (« Liste de bénéficiaires IODAS »).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// What files the profile reads, in French.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The source system of the records the profile produces.
    pub fn source_system(&self) -> SourceSystem {
        SourceSystem::Departement {
            profile: self.name.clone(),
        }
    }

    /// The field whose value is the records' id at the source.
    pub fn record_id(&self) -> Field {
        self.record_id
    }

    /// The columns, in the profile's order (which is also the order of preference of the
    /// phones and the order of the address lines).
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Headers known to carry nothing the hub takes from this source (not reported unknown).
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// The mode of a file when its name says nothing.
    pub fn default_mode(&self) -> FileMode {
        self.default_mode
    }

    /// The mode of a file: the first rule whose text its name contains, else the default.
    pub fn file_mode(&self, file_name: &str) -> FileMode {
        let name = file_name.to_lowercase();
        self.file_modes
            .iter()
            .find(|rule| name.contains(&rule.name_contains.to_lowercase()))
            .map_or(self.default_mode, |rule| rule.mode)
    }

    /// Whether a folded header is one the profile knows to ignore.
    pub(crate) fn ignores(&self, folded: &str) -> bool {
        self.ignored.iter().any(|name| fold(name) == folded)
            || self
                .ignored_prefixes
                .iter()
                .any(|prefix| folded.starts_with(&fold(prefix)))
    }

    fn check(&self) -> Result<(), ProfileError> {
        let fail = |reason: String| {
            Err(ProfileError::Inconsistent {
                profile: self.name.clone(),
                reason,
            })
        };
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return fail("le nom ne peut contenir que des minuscules, chiffres et « _ »".into());
        }
        if self.columns.is_empty() {
            return fail("aucune colonne".into());
        }
        let mut owners: HashMap<String, String> = HashMap::new();
        let named = self
            .columns
            .iter()
            .flat_map(|column| column.headers.iter().map(move |h| (h, column.name())));
        let ignored = self.ignored.iter().map(|h| (h, "ignored"));
        for (header, owner) in named.chain(ignored) {
            let key = fold(header);
            if key.is_empty() {
                return fail(format!("un nom de colonne vide pour « {owner} »"));
            }
            if let Some(previous) = owners.insert(key, owner.to_owned()) {
                return fail(format!(
                    "l'en-tête « {header} » désigne à la fois « {previous} » et « {owner} »"
                ));
            }
        }
        if let Some(prefix) = self.ignored_prefixes.iter().find(|p| fold(p).is_empty()) {
            return fail(format!("préfixe ignoré vide : « {prefix} »"));
        }
        let mut seen: HashMap<Field, usize> = HashMap::new();
        for column in &self.columns {
            if column.headers.is_empty() {
                return fail(format!("la colonne {:?} n'a aucun en-tête", column.field));
            }
            *seen.entry(column.field).or_default() += 1;
            if column.line.is_some() && column.field != Field::AddressLine {
                return fail(format!(
                    "« line » n'a de sens que pour address_line (« {} »)",
                    column.name()
                ));
            }
        }
        if let Some((field, _)) = seen.iter().find(|(f, n)| **n > 1 && !f.is_repeatable()) {
            return fail(format!(
                "le champ {field:?} est rempli par plusieurs colonnes"
            ));
        }
        let required = |field: Field| {
            self.columns
                .iter()
                .any(|column| column.field == field && column.required)
        };
        if !self.record_id.can_identify_records() || !required(self.record_id) {
            return fail(format!(
                "record_id ({:?}) doit être un identifiant (departement_id, caf_matricule, \
                 france_travail_id) rempli par une colonne obligatoire",
                self.record_id
            ));
        }
        if seen.contains_key(&Field::PostalCodeCity)
            && (seen.contains_key(&Field::PostalCode) || seen.contains_key(&Field::City))
        {
            return fail("postal_code_city exclut postal_code et city".into());
        }
        if seen.keys().any(|field| field.is_identity()) && !required(Field::LastName) {
            return fail(
                "l'identité (prénom, date de naissance…) demande un nom obligatoire".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_loads_under_its_file_name() {
        for (name, text) in BUILTIN {
            let profile = Profile::from_toml(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(profile.name(), name);
            assert!(!profile.label().is_empty() && !profile.description().is_empty());
        }
        assert_eq!(Profile::all().len(), BUILTIN.len());
        assert_eq!(Profile::named("iodas").map(Profile::name), Some("iodas"));
        assert!(Profile::named("solis").is_none());
        assert_eq!(
            Profile::named("iodas").unwrap().source_system(),
            SourceSystem::Departement {
                profile: "iodas".to_owned()
            }
        );
    }

    #[test]
    fn webrsa_file_names_tell_stock_from_delta() {
        let webrsa = Profile::named("webrsa_frsa").unwrap();
        assert_eq!(
            webrsa.file_mode("BENEF_W_2024_03_05__01_02-ALL.csv"),
            FileMode::Stock
        );
        assert_eq!(
            webrsa.file_mode("benef_w_2024_03_05__01_02-all.csv"),
            FileMode::Stock
        );
        assert_eq!(
            webrsa.file_mode("BENEF_W_2024_03_05__01_02-1JOUR.csv"),
            FileMode::Delta
        );
        assert_eq!(
            webrsa.file_mode("BENEF_W_2024_03_05__01_02-31JOUR.csv"),
            FileMode::Delta
        );
        assert_eq!(
            webrsa.file_mode("BENEF_W_2024_03_05__01_02.csv"),
            webrsa.default_mode()
        );
        assert_eq!(
            Profile::named("cdb").unwrap().file_mode("x-ALL.csv"),
            FileMode::Delta
        );
    }

    fn minimal(extra: &str) -> String {
        format!(
            "name = \"test\"\nlabel = \"Test\"\ndescription = \"Test\"\n\
             record_id = \"departement_id\"\ndefault_mode = \"delta\"\n{extra}\n\
             [[column]]\nfield = \"departement_id\"\nheaders = [\"Id\"]\nrequired = true\n"
        )
    }

    fn inconsistent(extra: &str) -> String {
        match Profile::from_toml(&minimal(extra)) {
            Err(ProfileError::Inconsistent { reason, .. }) => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn contradictory_profiles_are_refused() {
        assert!(Profile::from_toml(&minimal("")).is_ok());
        assert!(inconsistent("ignored = [\"ID\"]").contains("désigne à la fois"));
        assert!(
            inconsistent("[[column]]\nfield = \"departement_id\"\nheaders = [\"Autre\"]")
                .contains("plusieurs colonnes")
        );
        assert!(
            inconsistent("[[column]]\nfield = \"first_names\"\nheaders = [\"Prénom\"]")
                .contains("nom obligatoire")
        );
        assert!(
            inconsistent("[[column]]\nfield = \"city\"\nheaders = [\"Ville\"]\nline = 1")
                .contains("line")
        );
        assert!(
            inconsistent(
                "[[column]]\nfield = \"city\"\nheaders = [\"Ville\"]\n\
             [[column]]\nfield = \"postal_code_city\"\nheaders = [\"CP Ville\"]"
            )
            .contains("postal_code_city")
        );
        let unknown_field = Profile::from_toml(&minimal(
            "[[column]]\nfield = \"shoe_size\"\nheaders = [\"Pointure\"]",
        ));
        assert!(
            matches!(unknown_field, Err(ProfileError::Syntax(_))),
            "{unknown_field:?}"
        );
        let nir_as_id =
            minimal("").replace("record_id = \"departement_id\"", "record_id = \"nir\"");
        assert!(matches!(
            Profile::from_toml(&nir_as_id),
            Err(ProfileError::Inconsistent { .. })
        ));
    }
}
