//! Writing the XML text of a flux, element by element, in schema order.

use std::io::{self, BufWriter, Write};

use chrono::{Datelike, Duration, NaiveDate};
use encoding_rs::WINDOWS_1252;

use super::{Coded, SyntheticAddress, SyntheticFlux, SyntheticHousehold, SyntheticPerson};

/// Writes the whole file, one household at a time.
pub(super) fn write<W: Write>(
    out: W,
    flux: &SyntheticFlux,
    households: impl IntoIterator<Item = SyntheticHousehold>,
) -> io::Result<u64> {
    let mut out = Counting {
        inner: BufWriter::with_capacity(256 * 1024, out),
        written: 0,
    };
    let mut text = String::with_capacity(16 * 1024);
    text.push_str("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<Racine>\n");
    text.push_str("\t<IdentificationFlux>\n");
    leaf(&mut text, 2, "APPLIEME", "CRI");
    leaf(&mut text, 2, "NUMVERSIONAPPLIEME", "6200");
    leaf(&mut text, 2, "TYPEFLUX", &flux.kind);
    leaf(&mut text, 2, "NATFLUX", "D");
    leaf(&mut text, 2, "DTCREAFLUX", &day(flux.created_on));
    let time = format!("{}.0000", flux.created_time.format("%H:%M:%S"));
    leaf(&mut text, 2, "HEUCREAFLUX", &time);
    leaf(&mut text, 2, "DTREF", &day(flux.reference_date));
    text.push_str("\t</IdentificationFlux>\n");
    let mut count = 0u64;
    for household in households {
        household_element(&mut text, &household);
        encode(&mut out, &text)?;
        text.clear();
        count += 1;
    }
    let declared = flux.declared_households.unwrap_or(count);
    text.push_str("\t<TransmissionFlux>\n");
    leaf(&mut text, 2, "NBTOTDOSRSATRANSM", &format!("{declared:08}"));
    leaf(&mut text, 2, "NBTOTDOSRSATRANSMANO", "00000000");
    text.push_str("\t</TransmissionFlux>\n</Racine>\n");
    encode(&mut out, &text)?;
    out.inner.flush()?;
    Ok(out.written)
}

struct Counting<W: Write> {
    inner: BufWriter<W>,
    written: u64,
}

fn encode<W: Write>(out: &mut Counting<W>, text: &str) -> io::Result<()> {
    // Characters windows-1252 lacks become character references, which XML reads back.
    let (bytes, _, _) = WINDOWS_1252.encode(text);
    out.inner.write_all(&bytes)?;
    out.written += bytes.len() as u64;
    Ok(())
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn flag(value: bool) -> &'static str {
    if value { "1" } else { "0" }
}

fn indent(text: &mut String, depth: usize) {
    text.extend(std::iter::repeat_n('\t', depth));
}

fn open(text: &mut String, depth: usize, name: &str) {
    indent(text, depth);
    text.push('<');
    text.push_str(name);
    text.push_str(">\n");
}

fn close(text: &mut String, depth: usize, name: &str) {
    indent(text, depth);
    text.push_str("</");
    text.push_str(name);
    text.push_str(">\n");
}

fn leaf(text: &mut String, depth: usize, name: &str, value: &str) {
    indent(text, depth);
    if value.is_empty() {
        text.push('<');
        text.push_str(name);
        text.push_str(" />\n");
        return;
    }
    text.push('<');
    text.push_str(name);
    text.push('>');
    for c in value.chars() {
        match c {
            '&' => text.push_str("&amp;"),
            '<' => text.push_str("&lt;"),
            '>' => text.push_str("&gt;"),
            _ => text.push(c),
        }
    }
    text.push_str("</");
    text.push_str(name);
    text.push_str(">\n");
}

fn coded(text: &mut String, block: &str, names: [&str; 2], (code, date): &Coded) {
    open(text, 4, block);
    leaf(text, 5, names[0], code);
    leaf(text, 5, names[1], &day(*date));
    close(text, 4, block);
}

fn household_element(text: &mut String, household: &SyntheticHousehold) {
    open(text, 1, "InfosFoyerRSA");
    open(text, 2, "IdentificationRSA");
    open(text, 3, "Organisme");
    leaf(text, 4, "FONORG", &household.fund);
    leaf(text, 4, "NUMORG", &household.organisation_number);
    leaf(text, 4, "MATRICULE", &household.matricule);
    close(text, 3, "Organisme");
    open(text, 3, "Partenaire");
    leaf(text, 4, "TYPEPARTE", &household.partner_kind);
    leaf(text, 4, "IDEPARTE", &household.partner_code);
    close(text, 3, "Partenaire");
    open(text, 3, "DemandeRSA");
    leaf(text, 4, "DTDEMRSA", &day(household.application_date));
    leaf(text, 4, "NUMDEMRSA", &household.application_number);
    close(text, 3, "DemandeRSA");
    close(text, 2, "IdentificationRSA");
    for person in &household.persons {
        person_element(text, person, household.application_date);
    }
    open(text, 2, "DonneesAdministratives");
    open(text, 3, "SituationFamille");
    leaf(text, 4, "SITFAM", &household.family_status);
    leaf(text, 4, "DDSITFAM", &day(household.family_since));
    close(text, 3, "SituationFamille");
    for address in &household.addresses {
        address_element(text, address);
    }
    close(text, 2, "DonneesAdministratives");
    open(text, 2, "PrestationRSA");
    open(text, 3, "SituationDossierRSA");
    open(text, 4, "EtatDossierRSA");
    leaf(text, 5, "ETATDOSRSA", &household.state);
    close(text, 4, "EtatDossierRSA");
    if let Some(refusal) = &household.refusal {
        let (code, date) = refusal;
        open(text, 4, "Refus");
        leaf(text, 5, "DTREFURSA", &day(*date));
        leaf(text, 5, "MOTIREFURSA", code);
        close(text, 4, "Refus");
    }
    for suspension in &household.right_suspensions {
        coded(
            text,
            "SuspensionDroit",
            ["MOTISUSDRORSA", "DDSUSDRORSA"],
            suspension,
        );
    }
    for suspension in &household.payment_suspensions {
        coded(
            text,
            "SuspensionVersement",
            ["MOTISUSVERSRSA", "DDSUSVERSRSA"],
            suspension,
        );
    }
    if let Some(closure) = &household.closure {
        coded(text, "FinDroit", ["MOTICLORSA", "DTCLORSA"], closure);
    }
    if let Some(closure) = &household.earlier_closure {
        coded(
            text,
            "FinDroitMoisAnterieur",
            ["MOTICLORSA", "DTCLORSA"],
            closure,
        );
    }
    close(text, 3, "SituationDossierRSA");
    open(text, 3, "DetailDroitRSA");
    open(text, 4, "TroncCommunDroitRSA");
    leaf(text, 5, "TOPSANSDOMFIXE", flag(household.no_fixed_address));
    if let Some(dependants) = household.dependants {
        leaf(text, 5, "NBENFAUTCHA", &format!("{dependants:02}"));
    }
    leaf(text, 5, "ORIDEMRSA", "DEM");
    leaf(text, 5, "DTORIDEMRSA", &day(household.application_date));
    close(text, 4, "TroncCommunDroitRSA");
    close(text, 3, "DetailDroitRSA");
    close(text, 2, "PrestationRSA");
    close(text, 1, "InfosFoyerRSA");
}

fn person_element(text: &mut String, person: &SyntheticPerson, application_date: NaiveDate) {
    open(text, 2, "Personne");
    open(text, 3, "Identification");
    if let Some(title) = &person.title {
        leaf(text, 4, "QUAL", title);
    }
    leaf(text, 4, "NOM", &person.last_name);
    leaf(text, 4, "NOMNAI", &person.birth_name);
    leaf(text, 4, "PRENOM", &person.first_name);
    if let Some(second) = &person.second_first_name {
        leaf(text, 4, "PRENOM2", second);
    }
    leaf(text, 4, "NOMCOMNAI", &person.birth_place);
    leaf(text, 4, "DTNAI", &day(person.birth_date));
    leaf(text, 4, "TYPEDTNAI", "N");
    if let Some(nir) = &person.nir {
        leaf(text, 4, "NIR", nir);
    }
    leaf(text, 4, "TOPVALIEC", "1");
    leaf(text, 4, "SEXE", &person.sex);
    close(text, 3, "Identification");
    open(text, 3, "DossierCAF");
    leaf(text, 4, "TOPRESPDOS", flag(person.file_holder));
    leaf(text, 4, "DDRATDOS", &day(application_date));
    close(text, 3, "DossierCAF");
    for (nature, dependent) in [("PFA", false), ("RSA", person.dependent)] {
        open(text, 3, "Prestations");
        leaf(text, 4, "NATPREST", nature);
        leaf(text, 4, "ROLEPERS", &person.role);
        leaf(text, 4, "TOPCHAPERS", flag(dependent));
        close(text, 3, "Prestations");
    }
    if person.resources {
        resources_element(text, application_date);
    }
    if let Some(rights_and_duties) = person.rights_and_duties {
        open(text, 3, "MontantCalculDroitRSAPersonne");
        leaf(text, 4, "TOPPERSDRODEVORSA", flag(rights_and_duties));
        if let Some(entrant) = person.entrant {
            leaf(text, 4, "TOPPERSENTDRODEVORSA", flag(entrant));
        }
        close(text, 3, "MontantCalculDroitRSAPersonne");
    }
    for activity in 0..person.activities {
        open(text, 3, "Activite");
        leaf(text, 4, "REG", "GE");
        leaf(text, 4, "ACT", if activity == 0 { "SAL" } else { "CHO" });
        let start = application_date + Duration::days(30 * i64::from(activity));
        leaf(text, 4, "DDACT", &day(start));
        close(text, 3, "Activite");
    }
    close(text, 2, "Personne");
}

fn resources_element(text: &mut String, application_date: NaiveDate) {
    let first = application_date.with_day(1).unwrap_or(application_date);
    open(text, 3, "Ressources");
    open(text, 4, "GeneraliteRessourcesTrimestre");
    leaf(text, 5, "TOPRESSNUL", "0");
    leaf(text, 5, "DDRESS", &day(first));
    leaf(text, 5, "DFRESS", &day(first + Duration::days(89)));
    close(text, 4, "GeneraliteRessourcesTrimestre");
    for month in 0..3 {
        open(text, 4, "RessourcesMensuelles");
        open(text, 5, "GeneraliteRessourcesMensuelles");
        leaf(
            text,
            6,
            "MOISRESS",
            &day(first + Duration::days(31 * month)),
        );
        leaf(text, 6, "NBHEUMENTRA", "000");
        close(text, 5, "GeneraliteRessourcesMensuelles");
        for (nature, amount) in [
            ("001", "0001675.00"),
            ("010", "0000045.00"),
            ("044", "0000000.00"),
        ] {
            open(text, 5, "DetailRessourcesMensuelles");
            leaf(text, 6, "NATRESS", nature);
            leaf(text, 6, "MTNATRESSMEN", amount);
            close(text, 5, "DetailRessourcesMensuelles");
        }
        close(text, 4, "RessourcesMensuelles");
    }
    close(text, 3, "Ressources");
}

fn address_element(text: &mut String, address: &SyntheticAddress) {
    open(text, 3, "Adresse");
    open(text, 4, "TroncCommunAdresse");
    leaf(text, 5, "RGADR", &format!("{:02}", address.rank));
    if let Some(moved_in_on) = address.moved_in_on {
        leaf(text, 5, "DTEMM", &day(moved_in_on));
    }
    leaf(text, 5, "PAYS", &address.country);
    leaf(text, 5, "TYPEADR", "D");
    leaf(text, 5, "ETATADR", "CO");
    close(text, 4, "TroncCommunAdresse");
    if address.foreign_lines.is_empty() {
        open(text, 4, "AdresseDetailleeFrance");
        leaf(text, 5, "COMPLIDEADR", "");
        leaf(text, 5, "COMPLADR", &address.place);
        leaf(text, 5, "NUMVOIE", &address.street_number);
        leaf(text, 5, "LIBTYPEVOIE", &address.street_type);
        leaf(text, 5, "NOMVOIE", &address.street_name);
        leaf(text, 5, "LIEUDIST", "");
        leaf(text, 5, "NUMCOM", &address.insee_code);
        leaf(text, 5, "CODEPOS", &address.postal_code);
        leaf(text, 5, "NOMCOM", &address.city);
        close(text, 4, "AdresseDetailleeFrance");
    } else {
        open(text, 4, "AdresseHorsFrance");
        for rank in 2..=7 {
            let line = address
                .foreign_lines
                .get(rank - 2)
                .map_or("", String::as_str);
            leaf(text, 5, &format!("LIBLIG{rank}ADR"), line);
        }
        close(text, 4, "AdresseHorsFrance");
    }
    close(text, 3, "Adresse");
}
