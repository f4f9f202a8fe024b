//! `vrsb0801.xsd` ("Bénéficiaire VRSB0801-Cristal V4200"), element by element.
//!
//! Transcribed from the schema CNAF publishes with the flux (every element, in schema
//! order, with its bounds and facets); only the `.read(…)` and `.tag(…)` marks are ours.

use super::{Element, Field, Group, UNBOUNDED, block, boolean, date, decimal, integer, text, time};

/// The document element.
pub(crate) static ROOT: Element = block("Racine", RACINE);

const RACINE: &[Element] = &[
    block("IdentificationFlux", IDENTIFICATION_FLUX).tag(Group::Header),
    block("InfosFoyerRSA", INFOS_FOYER_RSA)
        .occurs(0, UNBOUNDED)
        .tag(Group::Household),
    block("TransmissionFlux", TRANSMISSION_FLUX).tag(Group::Trailer),
];

const IDENTIFICATION_FLUX: &[Element] = &[
    text("APPLIEME", 3).read(Field::Application),
    text("NUMVERSIONAPPLIEME", 4).read(Field::ApplicationVersion),
    text("TYPEFLUX", 1).read(Field::FluxType),
    text("NATFLUX", 1).read(Field::FluxNature),
    date("DTCREAFLUX").read(Field::CreatedOn),
    time("HEUCREAFLUX").read(Field::CreatedTime),
    date("DTREF").read(Field::ReferenceDate),
];

const INFOS_FOYER_RSA: &[Element] = &[
    block("IdentificationRSA", IDENTIFICATION_RSA),
    block("Personne", PERSONNE)
        .occurs(1, UNBOUNDED)
        .tag(Group::Person),
    block("DonneesAdministratives", DONNEES_ADMINISTRATIVES),
    block("PrestationRSA", PRESTATION_RSA),
    block("Evenement", EVENEMENT).occurs(0, UNBOUNDED),
    block("Controle", CONTROLE).optional(),
    block("Anomalie", ANOMALIE).occurs(0, UNBOUNDED),
];

const IDENTIFICATION_RSA: &[Element] = &[
    block("Organisme", ORGANISME),
    block("Partenaire", PARTENAIRE),
    block("DemandeRSA", DEMANDE_RSA),
    block("DemandeRMI", DEMANDE_RMI).optional(),
    block("OrganismeCedant", ORGANISME_CEDANT).optional(),
    block("OrganismePrenant", ORGANISME_PRENANT).optional(),
];

const ORGANISME: &[Element] = &[
    text("FONORG", 3).read(Field::Fund),
    text("NUMORG", 3).read(Field::OrganisationNumber),
    integer("MATRICULE", 15).read(Field::Matricule),
];

const PARTENAIRE: &[Element] = &[
    text("TYPEPARTE", 4).read(Field::PartnerKind),
    text("IDEPARTE", 3).read(Field::PartnerId),
];

const DEMANDE_RSA: &[Element] = &[
    date("DTDEMRSA").read(Field::ApplicationDate),
    text("NUMDEMRSA", 11).read(Field::ApplicationNumber),
];

const DEMANDE_RMI: &[Element] = &[
    block("DateDemandeRMI", DATE_DEMANDE_RMI),
    block("NumeroInstructionRMI", NUMERO_INSTRUCTION_RMI),
];

const DATE_DEMANDE_RMI: &[Element] = &[date("DTDEMRMI")];

const NUMERO_INSTRUCTION_RMI: &[Element] = &[
    text("NUMDEPINSRMI", 3),
    text("TYPEINSRMI", 1),
    integer("NUMCOMINSRMI", 3),
    text("NUMAGRINSRMI", 2),
    integer("NUMDOSINSRMI", 5),
    integer("NUMCLI", 3),
];

const ORGANISME_CEDANT: &[Element] = &[
    text("FONORGCEDMUT", 3),
    text("NUMORGCEDMUT", 3),
    integer("MATRICULEORGCEDMUT", 15).optional(),
    date("DDARRMUT"),
];

const ORGANISME_PRENANT: &[Element] = &[
    text("FONORGPRENMUT", 3),
    text("NUMORGPRENMUT", 3),
    date("DDDEPAMUT"),
];

const PERSONNE: &[Element] = &[
    block("Identification", IDENTIFICATION),
    block("DossierCAF", DOSSIER_CAF),
    block("Prestations", PRESTATIONS)
        .occurs(2, 2)
        .tag(Group::Benefit),
    block("Rattachement", RATTACHEMENT).occurs(0, 2),
    block("DossierPoleEmploi", DOSSIER_POLE_EMPLOI).optional(),
    block("Ressources", RESSOURCES).optional(),
    block(
        "MontantCalculDroitRSAPersonne",
        MONTANT_CALCUL_DROIT_RSA_PERSONNE,
    )
    .optional(),
    block("Activite", ACTIVITE).occurs(0, UNBOUNDED),
    block("PensionAlimentaire", PENSION_ALIMENTAIRE).optional(),
    block("Grossesse", GROSSESSE).optional(),
    block("InformationsAgricoles", INFORMATIONS_AGRICOLES).optional(),
    block("AvisPCGPersonne", AVIS_PCG_PERSONNE).optional(),
    block("AvisCGSSDOMPersonne", AVIS_CGSSDOM_PERSONNE).optional(),
];

const IDENTIFICATION: &[Element] = &[
    text("QUAL", 3).optional().read(Field::Title),
    text("NOM", 28).read(Field::LastName),
    text("NOMNAI", 28).read(Field::BirthName),
    text("PRENOM", 32).read(Field::FirstName),
    text("PRENOM2", 15).optional().read(Field::OtherFirstName),
    text("PRENOM3", 15).optional().read(Field::OtherFirstName),
    text("NOMCOMNAI", 26).read(Field::BirthPlace),
    date("DTNAI").read(Field::BirthDate),
    integer("RGNAI", 1).optional(),
    text("TYPEDTNAI", 1).optional(),
    text("NIR", 15).optional().read(Field::Nir),
    boolean("TOPVALIEC").optional(),
    text("SEXE", 1).read(Field::Sex),
];

const DOSSIER_CAF: &[Element] = &[
    boolean("TOPRESPDOS").read(Field::FileHolder),
    date("DDRATDOS"),
    date("DFRATDOS").optional(),
    text("NUMDEMRSAPRECE", 11).optional(),
];

const PRESTATIONS: &[Element] = &[
    text("NATPREST", 3).read(Field::BenefitNature),
    text("ROLEPERS", 3).read(Field::Role),
    boolean("TOPCHAPERS").read(Field::Dependent),
];

const RATTACHEMENT: &[Element] = &[
    text("NOMNAI", 28),
    text("PRENOM", 32),
    date("DTNAI"),
    text("NIR", 15).optional(),
    text("TYPEPAR", 3),
];

const DOSSIER_POLE_EMPLOI: &[Element] = &[text("IDASSEDIC", 8)];

const RESSOURCES: &[Element] = &[
    block(
        "GeneraliteRessourcesTrimestre",
        GENERALITE_RESSOURCES_TRIMESTRE,
    ),
    block("RessourcesMensuelles", RESSOURCES_MENSUELLES).occurs(0, 3),
];

const GENERALITE_RESSOURCES_TRIMESTRE: &[Element] =
    &[boolean("TOPRESSNUL"), date("DDRESS"), date("DFRESS")];

const RESSOURCES_MENSUELLES: &[Element] = &[
    block(
        "GeneraliteRessourcesMensuelles",
        GENERALITE_RESSOURCES_MENSUELLES,
    ),
    block("DetailRessourcesMensuelles", DETAIL_RESSOURCES_MENSUELLES).occurs(1, UNBOUNDED),
];

const GENERALITE_RESSOURCES_MENSUELLES: &[Element] =
    &[date("MOISRESS"), integer("NBHEUMENTRA", 3).optional()];

const DETAIL_RESSOURCES_MENSUELLES: &[Element] = &[
    text("NATRESS", 3),
    decimal("MTNATRESSMEN", 9, 2),
    text("ABANEU", 1).optional(),
];

const MONTANT_CALCUL_DROIT_RSA_PERSONNE: &[Element] = &[
    boolean("TOPPERSDRODEVORSA").read(Field::RightsAndDuties),
    boolean("TOPPERSENTDRODEVORSA")
        .optional()
        .read(Field::Entrant),
    decimal("MTPERSRESSMENRSA", 9, 2).optional(),
    decimal("MTPERSABANEURSA", 9, 2).optional(),
];

const ACTIVITE: &[Element] = &[
    text("REG", 2).optional(),
    text("ACT", 3),
    date("DDACT"),
    date("DFACT").optional(),
    text("NATCONTRTRA", 3).optional(),
    boolean("TOPCONDADMETI").optional(),
];

const PENSION_ALIMENTAIRE: &[Element] = &[
    block("Asf", ASF).occurs(0, 2),
    block("CreanceAlimentaire", CREANCE_ALIMENTAIRE).occurs(0, UNBOUNDED),
];

const ASF: &[Element] = &[
    text("SITASF", 2),
    text("PARASSOASF", 1),
    date("DDASF"),
    date("DFASF").optional(),
];

const CREANCE_ALIMENTAIRE: &[Element] = &[
    text("ETATCREALIM", 2),
    date("DDCREALIM"),
    date("DFCREALIM").optional(),
    text("ORIOBLALIM", 3),
    text("MOTIDISCREALIM", 3).optional(),
    text("COMMCREALIM", 50).optional(),
    decimal("MTSANCREALIM", 9, 2).optional(),
];

const GROSSESSE: &[Element] = &[
    date("DDGRO"),
    date("DFGRO").optional(),
    date("DTDECLGRO"),
    text("NATFINGRO", 1).optional(),
];

const INFORMATIONS_AGRICOLES: &[Element] = &[
    decimal("MTBENAGRI", 10, 2).optional(),
    text("REGFISAGRI", 1).optional(),
    date("DTBENAGRI").optional(),
];

const AVIS_PCG_PERSONNE: &[Element] = &[
    block("ConditionETI", CONDITION_ETI).optional(),
    block("Derogation", DEROGATION).occurs(0, UNBOUNDED),
    block("ExclueRSA", EXCLUE_RSA).optional(),
    block("Liberalite", LIBERALITE).optional(),
];

const CONDITION_ETI: &[Element] = &[
    text("AVISEVARESSNONSAL", 1),
    date("DTSOURESSNONSAL"),
    date("DTEVARESSNONSAL").optional(),
    decimal("MTEVARESSNONSAL", 9, 2).optional(),
];

const DEROGATION: &[Element] = &[
    text("TYPEDERO", 3),
    text("AVISDERO", 1),
    date("DDAVISDERO"),
    date("DFAVISDERO").optional(),
];

const EXCLUE_RSA: &[Element] = &[text("EXCL", 1), date("DDEXCL"), date("DFEXCL").optional()];

const LIBERALITE: &[Element] = &[decimal("MTLIBERNONDECL", 9, 2), date("DTABSDECLLIBER")];

const AVIS_CGSSDOM_PERSONNE: &[Element] = &[text("JUSACTDOM", 1), text("RESUJUSACTDOM", 1)];

const DONNEES_ADMINISTRATIVES: &[Element] = &[
    block("SituationFamille", SITUATION_FAMILLE),
    block("Adresse", ADRESSE).occurs(1, 3).tag(Group::Address),
];

const SITUATION_FAMILLE: &[Element] = &[
    text("SITFAM", 3).read(Field::FamilyStatus),
    date("DDSITFAM").read(Field::FamilySince),
    text("REGAGRIFAM", 3).optional(),
];

const ADRESSE: &[Element] = &[
    block("TroncCommunAdresse", TRONC_COMMUN_ADRESSE),
    block("AdresseDetailleeFrance", ADRESSE_DETAILLEE_FRANCE).optional(),
    block("AdresseHorsFrance", ADRESSE_HORS_FRANCE).optional(),
];

const TRONC_COMMUN_ADRESSE: &[Element] = &[
    integer("RGADR", 2).read(Field::AddressRank),
    date("DTEMM").optional().read(Field::MovedInOn),
    text("PAYS", 3).read(Field::Country),
    text("TYPEADR", 1).read(Field::AddressKind),
    text("ETATADR", 2).read(Field::AddressState),
];

const ADRESSE_DETAILLEE_FRANCE: &[Element] = &[
    text("COMPLIDEADR", 38).read(Field::RecipientComplement),
    text("COMPLADR", 38).read(Field::PlaceComplement),
    text("NUMVOIE", 6).read(Field::StreetNumber),
    text("LIBTYPEVOIE", 30).read(Field::StreetType),
    text("NOMVOIE", 32).read(Field::StreetName),
    text("LIEUDIST", 38).read(Field::Locality),
    text("NUMCOM", 5).read(Field::InseeCode),
    integer("CODEPOS", 5).read(Field::PostalCode),
    text("NOMCOM", 32).read(Field::City),
];

const ADRESSE_HORS_FRANCE: &[Element] = &[
    text("LIBLIG2ADR", 38).read(Field::ForeignLine),
    text("LIBLIG3ADR", 38).read(Field::ForeignLine),
    text("LIBLIG4ADR", 38).read(Field::ForeignLine),
    text("LIBLIG5ADR", 38).read(Field::ForeignLine),
    text("LIBLIG6ADR", 38).read(Field::ForeignLine),
    text("LIBLIG7ADR", 38).read(Field::ForeignLine),
];

const PRESTATION_RSA: &[Element] = &[
    block("SituationDossierRSA", SITUATION_DOSSIER_RSA),
    block("DetailDroitRSA", DETAIL_DROIT_RSA),
];

const SITUATION_DOSSIER_RSA: &[Element] = &[
    block("EtatDossierRSA", ETAT_DOSSIER_RSA),
    block("Refus", REFUS).optional(),
    block("SuspensionDroit", SUSPENSION_DROIT)
        .occurs(0, UNBOUNDED)
        .tag(Group::RightSuspension),
    block("SuspensionVersement", SUSPENSION_VERSEMENT)
        .occurs(0, UNBOUNDED)
        .tag(Group::PaymentSuspension),
    block("FinDroit", FIN_DROIT).optional(),
    block("FinDroitMoisAnterieur", FIN_DROIT_MOIS_ANTERIEUR).optional(),
];

const ETAT_DOSSIER_RSA: &[Element] = &[text("ETATDOSRSA", 1).read(Field::RsaState)];

const REFUS: &[Element] = &[
    date("DTREFURSA").read(Field::RefusalDate),
    text("MOTIREFURSA", 3).read(Field::RefusalReason),
];

const SUSPENSION_DROIT: &[Element] = &[
    text("MOTISUSDRORSA", 2).read(Field::RightSuspensionReason),
    date("DDSUSDRORSA").read(Field::RightSuspensionSince),
    text("NATGROUPFSUS", 3).optional(),
];

const SUSPENSION_VERSEMENT: &[Element] = &[
    text("MOTISUSVERSRSA", 2).read(Field::PaymentSuspensionReason),
    date("DDSUSVERSRSA").read(Field::PaymentSuspensionSince),
];

const FIN_DROIT: &[Element] = &[
    text("MOTICLORSA", 3).read(Field::ClosureReason),
    date("DTCLORSA").read(Field::ClosureDate),
];

const FIN_DROIT_MOIS_ANTERIEUR: &[Element] = &[
    text("MOTICLORSA", 3).read(Field::EarlierClosureReason),
    date("DTCLORSA").read(Field::EarlierClosureDate),
];

const DETAIL_DROIT_RSA: &[Element] = &[
    block("TroncCommunDroitRSA", TRONC_COMMUN_DROIT_RSA),
    block("SpecificiteDOM", SPECIFICITE_DOM).optional(),
    block("MontantsCalculDroitRSA", MONTANTS_CALCUL_DROIT_RSA).optional(),
    block("DetailCalculDroitRSA", DETAIL_CALCUL_DROIT_RSA).occurs(0, UNBOUNDED),
    block("AvisPCGDroitRSA", AVIS_PCG_DROIT_RSA).optional(),
];

const TRONC_COMMUN_DROIT_RSA: &[Element] = &[
    boolean("TOPSANSDOMFIXE").read(Field::NoFixedAddress),
    integer("NBENFAUTCHA", 2).optional().read(Field::Dependants),
    text("ORIDEMRSA", 3).read(Field::ApplicationOrigin),
    date("DTORIDEMRSA").optional(),
    boolean("TOPFOYDRODEVORSA").optional(),
];

const SPECIFICITE_DOM: &[Element] = &[
    decimal("SURFAGRIDOM", 5, 2),
    date("DDSURFAGRIDOM"),
    decimal("SURFAGRIDOMPLA", 5, 2).optional(),
    integer("NBTOTAIDEFAMSURFDOM", 3).optional(),
    integer("NBTOTPERSMAJOSURFDOM", 3).optional(),
];

const MONTANTS_CALCUL_DROIT_RSA: &[Element] = &[
    date("DDELECAL"),
    date("DFELECAL").optional(),
    decimal("MTREVMINIGARARSA", 9, 2),
    decimal("MTPENTRSA", 9, 2).optional(),
    decimal("MTLOCALRSA", 9, 2).optional(),
    decimal("MTREVGARARSA", 9, 2),
    decimal("MTPFRSA", 9, 2).optional(),
    decimal("MTALRSA", 9, 2).optional(),
    decimal("MTRESSMENRSA", 9, 2),
    decimal("MTSANOBLALIMRSA", 9, 2).optional(),
    decimal("MTREDHOSRSA", 9, 2).optional(),
    decimal("MTREDCGRSA", 9, 2).optional(),
    decimal("MTCUMINTEGRSA", 9, 2).optional(),
    decimal("MTABANEURSA", 9, 2).optional(),
    decimal("MTTOTDRORSA", 9, 2),
];

const DETAIL_CALCUL_DROIT_RSA: &[Element] = &[
    text("NATPF", 3),
    text("SOUSNATPF", 5),
    date("DDNATDRO"),
    date("DFNATDRO").optional(),
    decimal("MTRSAVERS", 9, 2).optional(),
    date("DTDERRSAVERS").optional(),
];

const AVIS_PCG_DROIT_RSA: &[Element] = &[
    block("ConditionAdministrative", CONDITION_ADMINISTRATIVE).occurs(0, UNBOUNDED),
    block("ReductionRSA", REDUCTION_RSA).occurs(0, UNBOUNDED),
    block("PaiementTiers", PAIEMENT_TIERS).optional(),
];

const CONDITION_ADMINISTRATIVE: &[Element] = &[
    text("AVISCONDADMRSA", 1),
    text("MOTICONDADMRSA", 2),
    text("COMM1CONDADMRSA", 60).optional(),
    text("COMM2CONDADMRSA", 60).optional(),
    date("DTEFFAVISCONDADMRSA"),
];

const REDUCTION_RSA: &[Element] = &[
    decimal("MTREDRSA", 9, 2),
    date("DDREDRSA"),
    date("DFREDRSA").optional(),
];

const PAIEMENT_TIERS: &[Element] = &[
    text("AVISDESTPAIRSA", 1),
    date("DTAVISDESTPAIRSA"),
    text("NOMTIE", 64),
    text("TYPEPERSTIE", 1),
];

const EVENEMENT: &[Element] = &[date("DTLIQ"), time("HEULIQ"), text("FG", 9)];

const CONTROLE: &[Element] =
    &[block("ControleAdministratif", CONTROLE_ADMINISTRATIF).occurs(0, UNBOUNDED)];

const CONTROLE_ADMINISTRATIF: &[Element] = &[
    block(
        "IdentificationCibleControleAdministratif",
        IDENTIFICATION_CIBLE_CONTROLE_ADMINISTRATIF,
    ),
    block(
        "IdentificationControleAdministratif",
        IDENTIFICATION_CONTROLE_ADMINISTRATIF,
    ),
    block(
        "ModaliteControleAdministratif",
        MODALITE_CONTROLE_ADMINISTRATIF,
    ),
    block(
        "ResultatControleAdministratif",
        RESULTAT_CONTROLE_ADMINISTRATIF,
    ),
];

const IDENTIFICATION_CIBLE_CONTROLE_ADMINISTRATIF: &[Element] = &[
    date("DTEFFCIBCONTRO"),
    text("CIBCONTRO", 3),
    text("CIBCONTROMSA", 3).optional(),
];

const IDENTIFICATION_CONTROLE_ADMINISTRATIF: &[Element] =
    &[date("DTDETECCONTRO"), date("DTCLOCONTRO")];

const MODALITE_CONTROLE_ADMINISTRATIF: &[Element] = &[
    text("LIBCIBCONTRO", 45),
    text("FAMCIBCONTRO", 2),
    text("NATCIBCONTRO", 3),
    text("COMMACONTRO", 3),
    text("TYPECONTRO", 2),
];

const RESULTAT_CONTROLE_ADMINISTRATIF: &[Element] = &[
    text("TYPEIMPACCONTRO", 1),
    decimal("MTINDURSACGCONTRO", 11, 2).optional(),
    decimal("MTRAPRSACGCONTRO", 11, 2).optional(),
];

const ANOMALIE: &[Element] = &[text("LIBANO", 200)];

const TRANSMISSION_FLUX: &[Element] = &[
    integer("NBTOTDOSRSATRANSM", 8).read(Field::DeclaredHouseholds),
    integer("NBTOTDOSRSATRANSMANO", 8).read(Field::DeclaredAnomalies),
];
