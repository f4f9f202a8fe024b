//! Closed value sets, accepted by key (`recherche_emploi`, as the 2024 templates write) or by
//! French label (« En recherche d'emploi », as the 2022 templates and the screens write),
//! whatever the case, accents and spaces. Keys and labels are those of the original service
//! (domain.md §2.5 and §9.2.1, `src/lib/constants/keys.ts`, the referential tables).

use super::{CellError, ErrorCode};
use cdb_connector::text::fold;

/// A closed set of values with a stable key and a French label each.
pub trait ValueSet: Copy + Sized + 'static {
    /// Every value, in the order the screens list them.
    const ALL: &'static [Self];
    /// The key stored in the database.
    fn key(self) -> &'static str;
    /// The French label shown to agents.
    fn label(self) -> &'static str;
    /// Former keys or labels still found in files, mapped to this value.
    fn aliases(self) -> &'static [&'static str];
}

macro_rules! value_set {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $key:literal, $label:literal $(, [$($alias:literal),*])? ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl ValueSet for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),*];

            fn key(self) -> &'static str {
                match self { $(Self::$variant => $key,)* }
            }

            fn label(self) -> &'static str {
                match self { $(Self::$variant => $label,)* }
            }

            fn aliases(self) -> &'static [&'static str] {
                match self { $(Self::$variant => &[$($($alias),*)?],)* }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.key())
            }
        }
    };
}

value_set! {
    /// Work situation (situation professionnelle) of a beneficiary.
    WorkSituation {
        /// Looking for a job.
        SeekingJob = "recherche_emploi", "En recherche d'emploi";
        /// Looking for a training.
        SeekingTraining = "recherche_formation", "En recherche de formation";
        /// Looking for a work-study contract.
        SeekingWorkStudy = "recherche_alternance", "En recherche d’alternance";
        /// Looking for an internship.
        SeekingInternship = "recherche_stage", "En recherche de stage";
        /// Employed.
        Employed = "emploi", "En emploi";
        /// In training.
        InTraining = "formation", "En formation";
        /// In an internship.
        Internship = "stage", "En stage";
        /// In a work-study contract.
        WorkStudy = "alternance", "En alternance";
        /// In civic service.
        CivicService = "service_civique", "En service civique";
        /// In an integration-through-work structure.
        Iae = "iae", "En IAE";
        /// Temping.
        Temping = "interim", "En interim";
        /// Building a project.
        BuildingProject = "construction_projet", "En construction de projet";
        /// Planning to start a business.
        BusinessProject = "projet_entrepreneurial", "En projet entrepreneurial";
        /// Self-employed.
        Entrepreneur = "entrepreneur", "Entrepreneur";
        /// Student.
        Student = "etudiant", "Etudiant";
        /// At school.
        Pupil = "scolarisé", "Scolarisé";
        /// Retired.
        Retired = "enretraite", "En retraite / pré-retraite";
        /// Long-term illness.
        LongIllness = "maladie", "Longue maladie";
        /// Work disability.
        Disability = "invalidite", "En invalidité de travail";
        /// Parental leave.
        ParentalLeave = "conge_parental", "Congé parental";
        /// Stay-at-home.
        AtHome = "au_foyer", "Au foyer";
        /// Other.
        Other = "autre", "Autre";
        /// Full-time permanent contract.
        PermanentFullTime = "cdi_temps_plein", "CDI temps complet", ["cdi"];
        /// Part-time permanent contract.
        PermanentPartTime = "cdi_temps_partiel", "CDI temps partiel";
        /// Full-time fixed-term contract.
        FixedTermFullTime = "cdd_temps_plein", "CDD temps complet", ["cdd"];
        /// Part-time fixed-term contract.
        FixedTermPartTime = "cdd_temps_partiel", "CDD temps partiel";
        /// Entertainment intermittent.
        Intermittent = "intermittent", "Intermittent du spectacle ";
    }
}

value_set! {
    /// State of the RSA right (droits RSA).
    RsaRight {
        /// Open and suspended.
        OpenSuspended = "rsa_droit_ouvert_et_suspendu", "Droit ouvert et suspendu";
        /// Open and payable.
        OpenPayable = "rsa_droit_ouvert_versable", "Droit ouvert et versable";
        /// Open but payment suspended.
        OpenPaymentSuspended = "rsa_droit_ouvert_versement_suspendu", "Droit ouvert mais versement suspendu";
        /// New application awaiting the département's decision.
        Pending = "rsa_demande_en_attente",
            "Nouvelle demande en attente de décision du Conseil départemental pour ouverture du droit";
        /// Refused.
        Refused = "rsa_refuse", "Droit refusé";
        /// Closed.
        Closed = "rsa_clos", "Droit clos";
        /// Closed in an earlier month.
        ClosedEarlier = "rsa_clos_anterieur",
            "Droit clos sur mois antérieur ayant eu un contrôle dans le mois de référence pour une période antérieure.";
    }
}

value_set! {
    /// How far the beneficiary can travel (zone de mobilité).
    GeographicalArea {
        /// No mobility.
        NoMobility = "none", "Aucune";
        /// Less than 10 km.
        Less10 = "less_10", "Moins de 10 km";
        /// 10 to 20 km.
        Between10And20 = "between_10_20", "Entre 10 et 20 km";
        /// 20 to 30 km.
        Between20And30 = "between_20_30", "Entre 20 et 30 km";
        /// More than 30 km.
        Plus30 = "plus_30", "Plus de 30 km";
    }
}

value_set! {
    /// Education level (niveau de formation), as France Travail codes it.
    EducationLevel {
        /// No schooling.
        Afs = "AFS", "Aucune formation scolaire";
        /// Finished 2nd or 1st year of lycée.
        C12 = "C12", "2nd ou 1ère achevée";
        /// BEPC or 3rd year of collège.
        C3a = "C3A", "BEPC ou 3ème achevée";
        /// 4th year of collège.
        Cfg = "CFG", "4ème achevée";
        /// Primary school to 4th year.
        Cp4 = "CP4", "Primaire à 4ème";
        /// CAP, BEP.
        Nv5 = "NV5", "CAP, BEP ou équivalent", ["level_3", "Niveau 3: CAP/BEP"];
        /// Baccalauréat.
        Nv4 = "NV4", "Bac ou équivalent", ["level_4", "Niveau 4: Bac ou équivalent"];
        /// Bac+2.
        Nv3 = "NV3", "Bac+2 ou équivalent", ["level_5", "Niveau 5: Bac +2"];
        /// Bac+3 or +4.
        Nv2 = "NV2", "Bac+3, Bac+4 ou équivalent", ["level_6", "Niveau 6: Bac +3 / +4"];
        /// Bac+5 and more.
        Nv1 = "NV1", "Bac+5 et plus ou équivalent",
            ["level_7", "level_8", "Niveau 7: Maîtrise / Master / DEA / DESS / DI", "Niveau 8: Doctorat / HDR"];
    }
}

value_set! {
    /// Accompaniment contract of a notebook, also a target's `linked_to`.
    ContractType {
        /// Youth commitment contract.
        Cej = "cej", "Contrat d'Engagement Jeune (CEJ)";
        /// Reciprocal commitment contract (RSA).
        Cer = "cer", "Contrat d'Engagement Réciproque (CER)";
        /// Personalised job access plan (France Travail).
        Ppae = "ppae", "Projet Personnalisé d'Accès à l'Emploi (PPAE)";
        /// Youth autonomy pathway.
        Pacea = "pacea",
            "Parcours contractualisé d'Accompagnement vers l'Emploi et l'Autonomie (PACEA)";
        /// No contract.
        No = "no", "Aucun";
    }
}

value_set! {
    /// Contract sought in a professional project (referential `contract_type`).
    ProjectContractType {
        /// Permanent.
        Cdi = "cdi", "CDI";
        /// Fixed-term.
        Cdd = "cdd", "CDD";
        /// Temping.
        Interim = "interim", "Interim";
        /// Seasonal.
        Seasonal = "saisonnier", "Saisonnier";
        /// Self-employed professional.
        Liberal = "liberal", "Libéral";
        /// Professionalisation contract.
        Professionalisation = "contrat_professionnalisation", "Contrat de professionnalisation";
        /// Apprenticeship.
        Apprenticeship = "apprentissage", "Apprentissage";
        /// Umbrella company.
        Portage = "portage_salarial", "Portage salarial";
    }
}

value_set! {
    /// Working time sought in a professional project (referential `employment_type`).
    EmploymentType {
        /// Full time.
        FullTime = "full_time", "Temps plein";
        /// Part time.
        PartTime = "part_time", "Temps partiel";
    }
}

/// Parses a value of a set by key, label or alias.
pub fn choice<T: ValueSet>(raw: &str, label: &str) -> Result<T, CellError> {
    let wanted = fold(raw);
    T::ALL
        .iter()
        .copied()
        .find(|value| {
            fold(value.key()) == wanted
                || fold(value.label()) == wanted
                || value.aliases().iter().any(|alias| fold(alias) == wanted)
        })
        .ok_or_else(|| unknown::<T>(raw, label))
}

fn unknown<T: ValueSet>(raw: &str, label: &str) -> CellError {
    let labels: Vec<String> = T::ALL
        .iter()
        .map(|value| format!("« {} »", value.label().trim()))
        .collect();
    CellError::new(
        ErrorCode::UnknownValue,
        format!(
            "{label} « {} » n'est pas une valeur connue. Valeurs possibles : {}",
            raw.trim(),
            labels.join(", ")
        ),
    )
}

/// Parses a mobility area by key or label, or as a distance in km (`30`, `30 km`), which the
/// 2024 template's sample row uses.
pub fn mobility_area(raw: &str, label: &str) -> Result<GeographicalArea, CellError> {
    let value = raw.trim();
    let digits = value
        .strip_suffix("km")
        .or_else(|| value.strip_suffix("KM"))
        .or_else(|| value.strip_suffix("Km"))
        .unwrap_or(value)
        .trim();
    if let Ok(km) = digits.parse::<u32>() {
        return Ok(match km {
            0 => GeographicalArea::NoMobility,
            1..=9 => GeographicalArea::Less10,
            10..=20 => GeographicalArea::Between10And20,
            21..=30 => GeographicalArea::Between20And30,
            _ => GeographicalArea::Plus30,
        });
    }
    choice(value, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_parse_by_key_and_label<T: ValueSet + PartialEq + std::fmt::Debug>() {
        for &value in T::ALL {
            assert_eq!(choice::<T>(value.key(), "La valeur"), Ok(value));
            assert_eq!(choice::<T>(value.label(), "La valeur"), Ok(value));
            assert_eq!(
                choice::<T>(&value.label().to_uppercase(), "La valeur"),
                Ok(value)
            );
            for alias in value.aliases() {
                assert_eq!(choice::<T>(alias, "La valeur"), Ok(value));
            }
        }
    }

    #[test]
    fn every_set_by_key_label_and_alias() {
        all_parse_by_key_and_label::<WorkSituation>();
        all_parse_by_key_and_label::<RsaRight>();
        all_parse_by_key_and_label::<GeographicalArea>();
        all_parse_by_key_and_label::<EducationLevel>();
        all_parse_by_key_and_label::<ContractType>();
        all_parse_by_key_and_label::<ProjectContractType>();
        all_parse_by_key_and_label::<EmploymentType>();
    }

    #[test]
    fn labels_as_agents_type_them() {
        assert_eq!(
            choice::<WorkSituation>("en recherche d'emploi", "La situation"),
            Ok(WorkSituation::SeekingJob)
        );
        assert_eq!(
            choice::<WorkSituation>("En recherche d'alternance", "La situation"),
            Ok(WorkSituation::SeekingWorkStudy)
        );
        assert_eq!(
            choice::<WorkSituation>("scolarise", "La situation"),
            Ok(WorkSituation::Pupil)
        );
        assert_eq!(
            choice::<WorkSituation>("Intermittent du spectacle", "La situation"),
            Ok(WorkSituation::Intermittent)
        );
        assert_eq!(
            choice::<EducationLevel>("nv4", "Le niveau de formation"),
            Ok(EducationLevel::Nv4)
        );
        assert_eq!(
            choice::<EducationLevel>("level_6", "Le niveau de formation"),
            Ok(EducationLevel::Nv2)
        );
        assert_eq!(
            choice::<WorkSituation>("cdd", "La situation"),
            Ok(WorkSituation::FixedTermFullTime)
        );
        assert_eq!(
            choice::<ContractType>("CER", "Le contrat"),
            Ok(ContractType::Cer)
        );
    }

    #[test]
    fn unknown_values_list_the_labels() {
        let error = choice::<EmploymentType>("Mi-temps", "Le temps de travail").unwrap_err();
        assert_eq!(error.code, ErrorCode::UnknownValue);
        assert_eq!(
            error.message,
            "Le temps de travail « Mi-temps » n'est pas une valeur connue. Valeurs possibles : \
             « Temps plein », « Temps partiel »"
        );
        // The legacy "Situation" sample value of the 2022 template is not a value.
        assert!(choice::<WorkSituation>("Situation", "La situation").is_err());
    }

    #[test]
    fn mobility_in_km() {
        let area = |raw| mobility_area(raw, "La zone de mobilité");
        assert_eq!(area("30"), Ok(GeographicalArea::Between20And30));
        assert_eq!(area("0"), Ok(GeographicalArea::NoMobility));
        assert_eq!(area("5 km"), Ok(GeographicalArea::Less10));
        assert_eq!(area("20km"), Ok(GeographicalArea::Between10And20));
        assert_eq!(area("45"), Ok(GeographicalArea::Plus30));
        assert_eq!(area("between_20_30"), Ok(GeographicalArea::Between20And30));
        assert_eq!(
            area("Entre 20 et 30 km"),
            Ok(GeographicalArea::Between20And30)
        );
        assert_eq!(area("loin").unwrap_err().code, ErrorCode::UnknownValue);
        assert_eq!(area("-3").unwrap_err().code, ErrorCode::UnknownValue);
    }

    #[test]
    fn sets_serialise_as_their_key() {
        assert_eq!(
            serde_json::to_string(&WorkSituation::Pupil).unwrap(),
            "\"scolarisé\""
        );
        assert_eq!(
            serde_json::to_string(&EducationLevel::Nv4).unwrap(),
            "\"NV4\""
        );
    }
}
