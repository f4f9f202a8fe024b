//! The `principal` extract: one row per job seeker followed, with identity, address,
//! registration, job projects, referent and declared difficulties.

use cdb_connector::records::{
    Address, Diagnostic, DiagnosticItem, DiagnosticItemKind, Email, Identity,
    JobSeekerRegistration, PostalCode, Record, RecordBody, RegistrationStatus, StructureRef, Title,
};
use cdb_connector::{IdentityKeys, NameAndBirth, SourceRef, SourceSystem};
use chrono::{DateTime, NaiveDate, Utc};

use super::cells::Cells;
use super::{ExtractKind, RowProblem};
use crate::follow_up::{Project, Referent};
use crate::values;

/// Difficulties the adviser recorded (`dif_*` columns, `O`/`N`); `None` when not said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Difficulties {
    /// `dif_financiere`: financial.
    pub financial: Option<bool>,
    /// `dif_admin_jur`: administrative or legal.
    pub administrative: Option<bool>,
    /// `dif_sante`: health.
    pub health: Option<bool>,
    /// `dif_logement`: housing.
    pub housing: Option<bool>,
    /// `dif_transport`: mobility.
    pub transport: Option<bool>,
    /// `dif_inser_com`: social integration and communication.
    pub social_integration: Option<bool>,
    /// `dif_familiale`: family.
    pub family: Option<bool>,
}

impl Difficulties {
    /// Each difficulty with the diagnostic API's constraint code and label where one is the
    /// same thing, so both sources speak one code list; `dif_inser_com` has no counterpart.
    fn entries(&self) -> [(Option<bool>, &'static str, &'static str); 7] {
        [
            (self.transport, "23", "Développer sa mobilité"),
            (self.family, "24", "Surmonter ses contraintes familiales"),
            (self.health, "25", "Prendre en compte son état de santé"),
            (
                self.housing,
                "27",
                "Faire face à des difficultés de logement",
            ),
            (
                self.financial,
                "28",
                "Faire face à des difficultés financières",
            ),
            (
                self.administrative,
                "29",
                "Faire face à des difficultés administratives ou juridiques",
            ),
            (
                self.social_integration,
                "dif_inser_com",
                "Difficultés d'insertion et de communication",
            ),
        ]
    }
}

/// One row of the `principal` extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRow {
    /// `identifiant_unique_de`: the extract's key for the person (a UUID, not the FT number).
    pub person_key: String,
    /// `civilite`.
    pub title: Option<Title>,
    /// `nom`.
    pub last_name: String,
    /// `prenom`.
    pub first_name: String,
    /// `lieu_naissance`.
    pub birth_place: Option<String>,
    /// `date_naissance`.
    pub birth_date: NaiveDate,
    /// `adresse_ligne2` to `adresse_ligne5`, blanks left out.
    pub address_lines: Vec<String>,
    /// Postal code from `adresse_ligne6` ("CP VILLE").
    pub postal_code: Option<PostalCode>,
    /// City from `adresse_ligne6`.
    pub city: Option<String>,
    /// `departement` ("08").
    pub departement: Option<String>,
    /// `rome_1`/`appelation_rome_1` and `rome_2`/`appelation_rome_2`.
    pub projects: Vec<Project>,
    /// `mrech.axetravailprincipal` then `mrech.axetravailsecondaire`.
    pub work_axes: Vec<String>,
    /// `der_entretien_ppae`: last PPAE interview.
    pub last_ppae_interview: Option<NaiveDate>,
    /// `der_entretien`: last interview.
    pub last_interview: Option<NaiveDate>,
    /// `inscription`: registration date.
    pub registered_on: Option<NaiveDate>,
    /// `code_motif_inscription`.
    pub registration_reason_code: Option<String>,
    /// `categorie_inscription`.
    pub category: Option<String>,
    /// `struct_principale`: agency name.
    pub main_structure: Option<String>,
    /// `code_safir` (absent from older files, judged unreliable by carnet-de-bord).
    pub safir_code: Option<String>,
    /// `referent_*`, `struct_suivi` and `code_safir`.
    pub referent: Option<Referent>,
    /// `modalite_accompagnement` (GUIDE, RENFORCE, SUIVI).
    pub follow_up_mode: Option<String>,
    /// `suivi_debut`.
    pub follow_up_start: Option<NaiveDate>,
    /// `suivi_fin_prev`.
    pub follow_up_planned_end: Option<NaiveDate>,
    /// `dif_*`.
    pub difficulties: Difficulties,
    /// `brsa`: RSA beneficiary (carnet-de-bord imported only these).
    pub rsa_beneficiary: Option<bool>,
}

impl ExtractKind for PrincipalRow {
    const REQUIRED: &'static [&'static str] =
        &["identifiant_unique_de", "nom", "prenom", "date_naissance"];

    fn read(cells: &Cells<'_>) -> Result<Self, RowProblem> {
        let birth_date = cells.date("date_naissance")?.ok_or(RowProblem::Missing {
            column: "date_naissance".to_owned(),
        })?;
        let (postal_code, city) = postal_line(cells.text("adresse_ligne6")?);
        let safir_code = cells.text("code_safir")?;
        let mut projects = Vec::new();
        for (code, label) in [
            ("rome_1", "appelation_rome_1"),
            ("rome_2", "appelation_rome_2"),
        ] {
            let (rome_code, label) = (cells.text(code)?, cells.text(label)?);
            if rome_code.is_some() || label.is_some() {
                projects.push(Project {
                    rome_code,
                    label,
                    priority: projects.is_empty(),
                });
            }
        }
        let mut address_lines = Vec::new();
        for column in [
            "adresse_ligne2",
            "adresse_ligne3",
            "adresse_ligne4",
            "adresse_ligne5",
        ] {
            address_lines.extend(cells.text(column)?);
        }
        let mut work_axes = Vec::new();
        for column in ["mrech.axetravailprincipal", "mrech.axetravailsecondaire"] {
            work_axes.extend(cells.text(column)?);
        }
        Ok(Self {
            person_key: cells.required("identifiant_unique_de")?,
            title: cells.text("civilite")?.as_deref().and_then(values::title),
            last_name: cells.required("nom")?,
            first_name: cells.required("prenom")?,
            birth_place: cells.text("lieu_naissance")?,
            birth_date,
            address_lines,
            postal_code,
            city,
            departement: cells.text("departement")?,
            projects,
            work_axes,
            last_ppae_interview: cells.date("der_entretien_ppae")?,
            last_interview: cells.date("der_entretien")?,
            registered_on: cells.date("inscription")?,
            registration_reason_code: cells.text("code_motif_inscription")?,
            category: cells.text("categorie_inscription")?,
            main_structure: cells.text("struct_principale")?,
            referent: referent(cells, safir_code.clone())?,
            safir_code,
            follow_up_mode: cells.text("modalite_accompagnement")?,
            follow_up_start: cells.date("suivi_debut")?,
            follow_up_planned_end: cells.date("suivi_fin_prev")?,
            difficulties: Difficulties {
                financial: cells.flag("dif_financiere")?,
                administrative: cells.flag("dif_admin_jur")?,
                health: cells.flag("dif_sante")?,
                housing: cells.flag("dif_logement")?,
                transport: cells.flag("dif_transport")?,
                social_integration: cells.flag("dif_inser_com")?,
                family: cells.flag("dif_familiale")?,
            },
            rsa_beneficiary: cells.flag("brsa")?,
        })
    }
}

fn referent(cells: &Cells<'_>, safir_code: Option<String>) -> Result<Option<Referent>, RowProblem> {
    let last_name = cells.text("referent_nom")?;
    let first_name = cells.text("referent_prenom")?;
    let email = match cells.text("referent_mail")? {
        None => None,
        Some(text) => Some(Email::parse(&text).map_err(|_| RowProblem::Invalid {
            column: "referent_mail".to_owned(),
            expected: "an email address",
        })?),
    };
    if last_name.is_none() && first_name.is_none() && email.is_none() {
        return Ok(None);
    }
    let structure_name = cells
        .text("struct_suivi")?
        .or(cells.text("struct_principale")?);
    Ok(Some(Referent {
        title: cells
            .text("referent_civilite")?
            .as_deref()
            .and_then(values::title),
        last_name,
        first_name,
        email,
        structure: (structure_name.is_some() || safir_code.is_some()).then_some(StructureRef {
            code: safir_code,
            name: structure_name,
        }),
    }))
}

/// Splits "72000 LE MANS" into a postal code and a city; a line not starting with a postal
/// code is all city.
fn postal_line(line: Option<String>) -> (Option<PostalCode>, Option<String>) {
    let Some(line) = line else {
        return (None, None);
    };
    let (head, tail) = line.split_once(' ').unwrap_or((line.as_str(), ""));
    match PostalCode::parse(head) {
        Ok(code) => (Some(code), values::text(Some(tail))),
        Err(_) => (None, Some(line.clone())),
    }
}

impl PrincipalRow {
    /// The identity keys the row gives: names and birth date (the extract has no NIR nor
    /// France Travail number).
    pub fn keys(&self) -> IdentityKeys {
        IdentityKeys {
            name_and_birth: Some(NameAndBirth {
                first_name: self.first_name.clone(),
                last_name: self.last_name.clone(),
                birth_date: self.birth_date,
            }),
            ..IdentityKeys::default()
        }
    }

    /// The canonical records: identity, address, registration and the declared
    /// difficulties as a diagnostic, under `identifiant_unique_de`.
    pub fn records(&self, as_of: DateTime<Utc>, run_id: Option<&str>) -> Vec<Record> {
        let source = SourceRef {
            system: SourceSystem::FranceTravail,
            record_id: self.person_key.clone(),
            as_of,
            run_id: run_id.map(str::to_owned),
        };
        let mut bodies = vec![RecordBody::Identity(Identity {
            title: self.title,
            last_name: self.last_name.clone(),
            birth_name: None,
            first_names: vec![self.first_name.clone()],
            birth_date: Some(self.birth_date),
            birth_place: self.birth_place.clone(),
            sex: None,
        })];
        if !self.address_lines.is_empty() || self.postal_code.is_some() || self.city.is_some() {
            bodies.push(RecordBody::Address(Address {
                lines: self.address_lines.clone(),
                postal_code: self.postal_code.clone(),
                city: self.city.clone(),
                city_insee_code: None,
                country: None,
                no_fixed_address: None,
            }));
        }
        if self.registered_on.is_some() || self.category.is_some() {
            // The extract lists the job seekers France Travail follows: a registration date
            // means a current registration.
            bodies.push(RecordBody::JobSeekerRegistration(JobSeekerRegistration {
                status: RegistrationStatus::Registered,
                registered_on: self.registered_on,
                category: self.category.clone(),
                ended_on: None,
                end_reason: None,
                agency_code: self.safir_code.clone(),
            }));
        }
        let items: Vec<DiagnosticItem> = self
            .difficulties
            .entries()
            .into_iter()
            .filter_map(|(flag, code, label)| {
                Some(DiagnosticItem {
                    kind: DiagnosticItemKind::Constraint,
                    code: code.to_owned(),
                    label: label.to_owned(),
                    value: if flag? { "OUI" } else { "NON" }.to_owned(),
                    parent_code: None,
                })
            })
            .collect();
        if !items.is_empty() {
            bodies.push(RecordBody::Diagnostic(Diagnostic {
                updated_on: self.last_interview.or(self.last_ppae_interview),
                items,
            }));
        }
        bodies
            .into_iter()
            .map(|body| Record {
                source: source.clone(),
                subject: self.keys(),
                body,
            })
            .collect()
    }
}
