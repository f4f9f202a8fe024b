//! The fixed part of a demo deployment: orientation systems, structures, professionals and the
//! manager, orientation manager and structure administrator, each with an account.

use uuid::Uuid;

use super::ids::demo_id;
use super::population::{FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES, POSITIONS, Territory};
use super::rows::{Field, Rows, f, opt};
use super::tables::Tables;

/// Professionals per structure.
pub const PROFESSIONALS_PER_STRUCTURE: usize = 4;

/// The ids of a deployment's staff that beneficiaries' notebooks refer to.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The deployment.
    pub deployment_id: Uuid,
    /// Orientation systems: Pro, Socio-pro, Social.
    pub orientation_systems: Vec<Uuid>,
    /// Structures.
    pub structures: Vec<Uuid>,
    /// Accounts of the professionals, per structure.
    pub professional_accounts: Vec<Vec<Uuid>>,
    /// Account of the orientation manager.
    pub orientation_manager_account: Uuid,
}

const ORIENTATION_SYSTEMS: [(&str, &str); 3] = [
    ("Pro", "pro"),
    ("Socio-pro", "sociopro"),
    ("Social", "social"),
];

/// Email local part from a name: lower case, no accents, no spaces.
fn email_part(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'à' | 'â' | 'ä' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some('e'),
            'î' | 'ï' => Some('i'),
            'ô' | 'ö' => Some('o'),
            'û' | 'ü' | 'ù' => Some('u'),
            'ç' => Some('c'),
            'œ' => Some('o'),
            ' ' | '\'' => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// Email address of a person of the demo.
pub fn email(firstname: &str, lastname: &str, domain: &str) -> String {
    format!(
        "{}.{}@{domain}",
        email_part(firstname),
        email_part(lastname)
    )
}

/// The staff's ids, computed without the database.
pub fn staff(territory: &Territory) -> Staff {
    let code = territory.code;
    Staff {
        deployment_id: demo_id(&format!("{code}/deployment")),
        orientation_systems: (0..ORIENTATION_SYSTEMS.len())
            .map(|i| demo_id(&format!("{code}/orientation_system/{i}")))
            .collect(),
        structures: (0..territory.structures.len())
            .map(|s| demo_id(&format!("{code}/structure/{s}")))
            .collect(),
        professional_accounts: (0..territory.structures.len())
            .map(|s| {
                (0..PROFESSIONALS_PER_STRUCTURE)
                    .map(|p| demo_id(&format!("{code}/professional/{s}/{p}/account")))
                    .collect()
            })
            .collect(),
        orientation_manager_account: demo_id(&format!("{code}/orientation_manager/account")),
    }
}

fn account(
    rows: &mut Rows,
    id: Uuid,
    role: &str,
    deployment: Uuid,
    profile_column: usize,
    profile: Uuid,
) -> Result<(), csv::Error> {
    // Columns: id, role, deployment_id, manager_id, admin_structure_id, orientation_manager_id, professional_id, confirmed
    let mut profiles = vec![Field::Null, Field::Null, Field::Null, Field::Null];
    profiles[profile_column] = f(profile);
    let mut fields = vec![f(id), f(role), f(deployment)];
    fields.extend(profiles);
    fields.push(f(true));
    rows.push(fields)
}

/// Writes the staff rows of a deployment into the tables.
pub fn write(territory: &Territory, staff: &Staff, tables: &mut Tables) -> Result<(), csv::Error> {
    let code = territory.code;
    let deployment = staff.deployment_id;
    let domain = format!("cd{code}-demo.example");
    tables.deployment.push(vec![
        f(deployment),
        f(territory.label),
        f(code),
        f(r#"{"demo": true}"#),
    ])?;
    for (i, (name, kind)) in ORIENTATION_SYSTEMS.iter().enumerate() {
        tables.orientation_system.push(vec![
            f(staff.orientation_systems[i]),
            f(deployment),
            f(name),
            f(kind),
        ])?;
    }
    for (s, (name, description)) in territory.structures.iter().enumerate() {
        let (postal_code, city) = territory.towns[s % territory.towns.len()];
        let structure = staff.structures[s];
        tables.structure.push(vec![
            f(structure),
            f(deployment),
            f(name),
            f(description),
            f(format!("04 75 {:02} {:02} {:02}", 10 + s, 20 + s, 30 + s)),
            f(format!("contact@structure{s}.{domain}")),
            f(format!("{} rue de l'Insertion", 1 + s)),
            f(postal_code),
            f(city),
        ])?;
        for (i, system) in staff.orientation_systems.iter().enumerate() {
            tables.structure_orientation_system.push(vec![
                f(demo_id(&format!(
                    "{code}/structure/{s}/orientation_system/{i}"
                ))),
                f(deployment),
                f(structure),
                f(system),
            ])?;
        }
        for p in 0..PROFESSIONALS_PER_STRUCTURE {
            let n = s * PROFESSIONALS_PER_STRUCTURE + p;
            let firstname = if n.is_multiple_of(2) {
                FEMALE_FIRST_NAMES[(n * 7) % FEMALE_FIRST_NAMES.len()]
            } else {
                MALE_FIRST_NAMES[(n * 5) % MALE_FIRST_NAMES.len()]
            };
            let lastname = LAST_NAMES[(n * 13 + 3) % LAST_NAMES.len()];
            let professional = demo_id(&format!("{code}/professional/{s}/{p}"));
            tables.professional.push(vec![
                f(professional),
                f(deployment),
                f(structure),
                f(email(firstname, lastname, &domain)),
                f(firstname),
                f(lastname),
                f(POSITIONS[n % POSITIONS.len()]),
                f(format!("06 12 34 {:02} {:02}", s, p)),
            ])?;
            account(
                &mut tables.account,
                staff.professional_accounts[s][p],
                "professional",
                deployment,
                3,
                professional,
            )?;
            for (i, system) in staff.orientation_systems.iter().enumerate() {
                tables.professional_orientation_system.push(vec![
                    f(demo_id(&format!(
                        "{code}/professional/{s}/{p}/orientation_system/{i}"
                    ))),
                    f(deployment),
                    f(professional),
                    f(system),
                ])?;
            }
        }
    }
    let manager = demo_id(&format!("{code}/manager"));
    tables.manager.push(vec![
        f(manager),
        f(deployment),
        f(format!("manager@{domain}")),
        f("Claire"),
        f("Gestionnaire"),
    ])?;
    account(
        &mut tables.account,
        demo_id(&format!("{code}/manager/account")),
        "manager",
        deployment,
        0,
        manager,
    )?;
    let orientation_manager = demo_id(&format!("{code}/orientation_manager"));
    tables.orientation_manager.push(vec![
        f(orientation_manager),
        f(deployment),
        f(format!("orientation@{domain}")),
        f("Giulia"),
        f("Diaby"),
        opt(Some("01 23 45 67 89")),
    ])?;
    account(
        &mut tables.account,
        staff.orientation_manager_account,
        "orientation_manager",
        deployment,
        2,
        orientation_manager,
    )?;
    let admin = demo_id(&format!("{code}/admin_structure"));
    tables.admin_structure.push(vec![
        f(admin),
        f(deployment),
        f(format!("admin.structure@{domain}")),
        f("Jacques"),
        f("Célaire"),
        f("Responsable de structure"),
    ])?;
    account(
        &mut tables.account,
        demo_id(&format!("{code}/admin_structure/account")),
        "admin_structure",
        deployment,
        1,
        admin,
    )?;
    for s in 0..2 {
        tables.admin_structure_structure.push(vec![
            f(demo_id(&format!("{code}/admin_structure/structure/{s}"))),
            f(deployment),
            f(admin),
            f(staff.structures[s]),
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_have_no_accents_nor_spaces() {
        assert_eq!(
            email("Émilie", "Le Gall", "x.example"),
            "emilie.legall@x.example"
        );
        assert_eq!(email("Zoé", "N'Diaye", "x.example"), "zoe.ndiaye@x.example");
    }
}
