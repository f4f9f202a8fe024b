//! Files that break the schema or XML itself: the error names the place and the rule.

use cdb_caf_msa::{FluxError, FluxReader, SchemaProblem};

use crate::{first_error, flux_bytes, monthly, plain};

/// The flux of `plain()` as text (it is ASCII, so windows-1252 and UTF-8 agree).
fn valid_text() -> String {
    String::from_utf8(flux_bytes(&monthly(), vec![plain()])).unwrap()
}

/// Line (from 1) where `needle` first appears.
fn line_of(text: &str, needle: &str) -> u64 {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the file"));
    text[..at].matches('\n').count() as u64 + 1
}

/// The schema error of a file, split into line, path and problem.
fn schema_error(text: &str) -> (u64, String, SchemaProblem) {
    match first_error(text.as_bytes()) {
        Some(FluxError::Schema {
            position,
            path,
            problem,
        }) => (position.line, path, problem),
        other => panic!("a schema error expected, not {other:?}"),
    }
}

const IDENTIFICATION: &str = "Racine/InfosFoyerRSA[1]/Personne[1]/Identification";

#[test]
fn elements_out_of_order_are_reported_with_what_was_expected() {
    let text = valid_text().replace(
        "<NOM>DUPONT</NOM>\n\t\t\t\t<NOMNAI>MARTIN</NOMNAI>",
        "<NOMNAI>MARTIN</NOMNAI>\n\t\t\t\t<NOM>DUPONT</NOM>",
    );
    let (line, path, problem) = schema_error(&text);
    assert_eq!(line, line_of(&text, "<NOMNAI>"));
    assert_eq!(path, IDENTIFICATION);
    assert_eq!(
        problem,
        SchemaProblem::UnexpectedElement {
            found: "NOMNAI".to_owned(),
            expected: "<NOM>".to_owned(),
        }
    );
}

#[test]
fn a_missing_mandatory_element_is_reported_where_its_parent_closes() {
    let text = valid_text().replace("\t\t\t\t<SEXE>2</SEXE>\n", "");
    let (line, path, problem) = schema_error(&text);
    assert_eq!(line, line_of(&text, "</Identification>"));
    assert_eq!(path, IDENTIFICATION);
    assert_eq!(problem, SchemaProblem::MissingElement { missing: "SEXE" });
}

#[test]
fn values_of_the_wrong_type_or_length_are_reported_with_the_rule() {
    let text = valid_text().replace("<DTNAI>1990-05-12</DTNAI>", "<DTNAI>12/05/1990</DTNAI>");
    let (line, path, problem) = schema_error(&text);
    assert_eq!(line, line_of(&text, "<DTNAI>"));
    assert_eq!(path, format!("{IDENTIFICATION}/DTNAI"));
    assert_eq!(
        problem,
        SchemaProblem::InvalidValue {
            element: "DTNAI",
            // A birth date is personal: the message gives its length only.
            value: "(10 characters)".to_owned(),
            expected: "a date (YYYY-MM-DD)".to_owned(),
        }
    );

    let long = "D".repeat(29);
    let text = valid_text().replace("<NOM>DUPONT</NOM>", &format!("<NOM>{long}</NOM>"));
    let (_, path, problem) = schema_error(&text);
    assert_eq!(path, format!("{IDENTIFICATION}/NOM"));
    assert!(matches!(
        problem,
        SchemaProblem::InvalidValue { element: "NOM", ref expected, .. }
            if expected == "a text of at most 28 characters"
    ));

    let text = valid_text().replace("<MATRICULE>123456700000000", "<MATRICULE>1234567000000000");
    let (_, path, problem) = schema_error(&text);
    assert_eq!(
        path,
        "Racine/InfosFoyerRSA[1]/IdentificationRSA/Organisme/MATRICULE"
    );
    assert!(matches!(
        problem,
        SchemaProblem::InvalidValue {
            element: "MATRICULE",
            ..
        }
    ));

    // A padded code longer than its field breaks the schema too (MOTISUSVERSRSA is 2 long).
    let mut suspended = plain();
    suspended.state = "4".to_owned();
    suspended.payment_suspensions = vec![("35 ".to_owned(), crate::on(2024, 1, 1))];
    let bytes = flux_bytes(&monthly(), vec![suspended]);
    let text = String::from_utf8(bytes).unwrap();
    let (_, path, _) = schema_error(&text);
    assert!(
        path.ends_with("SuspensionVersement[1]/MOTISUSVERSRSA"),
        "{path}"
    );
}

#[test]
fn unknown_and_surplus_elements_are_reported() {
    let text = valid_text().replacen("</DossierCAF>\n", "</DossierCAF>\n<FOO>1</FOO>\n", 1);
    let (line, path, problem) = schema_error(&text);
    assert_eq!(line, line_of(&text, "<FOO>"));
    assert_eq!(path, "Racine/InfosFoyerRSA[1]/Personne[1]");
    assert_eq!(
        problem,
        SchemaProblem::UnexpectedElement {
            found: "FOO".to_owned(),
            expected: "<Prestations>".to_owned(),
        }
    );

    let benefit = "<Prestations><NATPREST>RSA</NATPREST><ROLEPERS>DEM</ROLEPERS><TOPCHAPERS>1</TOPCHAPERS></Prestations>\n";
    let at = valid_text().find("\t\t\t<Ressources>").unwrap();
    let mut text = valid_text();
    text.insert_str(at, benefit);
    let (_, _, problem) = schema_error(&text);
    assert!(
        matches!(&problem, SchemaProblem::UnexpectedElement { found, expected }
            if found == "Prestations" && expected.starts_with("<Rattachement> or <DossierPoleEmploi>")),
        "{problem}"
    );
}

#[test]
fn text_attributes_and_roots_the_schema_does_not_declare_are_reported() {
    let text = valid_text().replacen("<Organisme>", "<Organisme>oops", 1);
    let (_, path, problem) = schema_error(&text);
    assert_eq!(path, "Racine/InfosFoyerRSA[1]/IdentificationRSA/Organisme");
    assert_eq!(
        problem,
        SchemaProblem::Text {
            text: "oops".to_owned()
        }
    );

    let text = valid_text().replacen("<Personne>", "<Personne id=\"1\">", 1);
    let (_, _, problem) = schema_error(&text);
    assert_eq!(
        problem,
        SchemaProblem::UnexpectedAttribute {
            element: "Personne".to_owned(),
            attribute: "id".to_owned(),
        }
    );

    let text = valid_text().replace("Racine>", "Root>");
    let (line, path, problem) = schema_error(&text);
    assert_eq!((line, path.as_str()), (2, ""));
    assert_eq!(
        problem,
        SchemaProblem::WrongRoot {
            found: "Root".to_owned()
        }
    );
}

#[test]
fn a_missing_trailer_or_a_truncated_file_is_reported() {
    let text = valid_text();
    let trailer = text.find("\t<TransmissionFlux>").unwrap();
    let end = text.find("</Racine>").unwrap();
    let without_trailer = format!("{}{}", &text[..trailer], &text[end..]);
    let (_, path, problem) = schema_error(&without_trailer);
    assert_eq!(path, "Racine");
    assert_eq!(
        problem,
        SchemaProblem::MissingElement {
            missing: "TransmissionFlux"
        }
    );

    let cut = text.find("<NOMCOMNAI>").unwrap();
    let (line, path, problem) = schema_error(&text[..cut]);
    assert_eq!(line, line_of(&text, "<NOMCOMNAI>"));
    assert_eq!(path, IDENTIFICATION);
    assert_eq!(problem, SchemaProblem::UnexpectedEnd);
}

#[test]
fn ill_formed_xml_is_a_syntax_error_with_its_position() {
    let text = valid_text().replace("</NOM>", "</NON>");
    match first_error(text.as_bytes()) {
        Some(FluxError::Syntax { position, message }) => {
            assert_eq!(position.line, line_of(&text, "</NON>"));
            assert!(message.contains("NON"), "{message}");
        }
        other => panic!("a syntax error expected, not {other:?}"),
    }
}

#[test]
fn households_before_the_error_are_read_then_the_reader_stops() {
    let mut second = plain();
    second.matricule = "765432100000000".to_owned();
    let text = String::from_utf8(flux_bytes(&monthly(), vec![plain(), second])).unwrap();
    let first = text.find("<SEXE>2</SEXE>").unwrap();
    let second = first + 1 + text[first + 1..].find("<SEXE>2</SEXE>").unwrap();
    let broken = format!("{}<SEXE>2</SEXE>{}", &text[..second], &text[second..]);
    let mut reader = FluxReader::new(broken.as_bytes()).unwrap();
    assert!(reader.next().unwrap().is_ok());
    let error = reader.next().unwrap().unwrap_err();
    assert!(
        error.to_string().contains(
            "in Racine/InfosFoyerRSA[2]/Personne[1]/Identification: \
             unexpected <SEXE>, expected the end of <Identification>"
        ),
        "{error}"
    );
    assert!(reader.next().is_none());
    assert!(FluxReader::new(broken.as_bytes()).unwrap().check().is_err());
}
