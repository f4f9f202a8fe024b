//! One synthetic beneficiary and their complete notebook, generated deterministically from the
//! territory and the person's number.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::ids::demo_id;
use super::population::{
    EDUCATION_LEVELS, FAMILY_SITUATIONS, FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES, STREETS,
    Territory, WORK_SITUATIONS,
};
use super::referentials::Referentials;
use super::rows::{Field, f, opt};
use super::staff::{Staff, email};
use super::tables::Tables;
use crate::domain::Nir;

/// The id of the demo beneficiary number `index` of a territory.
pub fn beneficiary_id(territory: &Territory, index: u32) -> Uuid {
    demo_id(&format!("{}/beneficiary/{index}", territory.code))
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// Writes beneficiary `index` of a territory, with their notebook, into the tables.
pub fn write(
    territory: &Territory,
    staff: &Staff,
    referentials: &Referentials,
    index: u32,
    tables: &mut Tables,
) -> Result<(), csv::Error> {
    let code = territory.code;
    let seed = u64::from(index)
        ^ (u64::from(code.as_bytes()[0]) << 40)
        ^ (u64::from(code.as_bytes()[1]) << 48);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let deployment = staff.deployment_id;
    let id = |kind: &str| demo_id(&format!("{code}/beneficiary/{index}/{kind}"));

    // Households: every tenth person is the spouse (CJT) of the previous one.
    let spouse = index % 10 == 9;
    let household = if spouse { index - 1 } else { index };
    let mut household_rng =
        ChaCha8Rng::seed_from_u64(seed ^ u64::from(household).rotate_left(17) ^ 0x5eed);
    let woman = if spouse {
        rng.random_bool(0.5)
    } else {
        household_rng.random_bool(0.58)
    };
    let firstname = if woman {
        *FEMALE_FIRST_NAMES.choose(&mut rng).unwrap_or(&"Marie")
    } else {
        *MALE_FIRST_NAMES.choose(&mut rng).unwrap_or(&"Jean")
    };
    let lastname = *LAST_NAMES.choose(&mut household_rng).unwrap_or(&"Martin");
    let (postal_code, city) = *territory
        .towns
        .choose(&mut household_rng)
        .unwrap_or(&territory.towns[0]);
    let street = *STREETS.choose(&mut household_rng).unwrap_or(&STREETS[0]);
    let house_number = household_rng.random_range(1..180);
    let birth = date(
        rng.random_range(1962..=2004),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
    );
    let created = Utc
        .with_ymd_and_hms(2023, 1, 2, 9, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::minutes(rng.random_range(0..(60 * 24 * 365 * 3)));

    // NIR: sex, birth year and month, département, then commune and order derived from the
    // person's number so that every demo NIR is distinct; the key is computed, never stored.
    let nir = format!(
        "{}{:02}{:02}{}{:03}{:03}",
        if woman { 2 } else { 1 },
        chrono::Datelike::year(&birth) % 100,
        chrono::Datelike::month(&birth),
        code,
        1 + index / 999,
        1 + index % 999
    );
    let nir = Nir::parse(&nir).ok().map(|n| n.as_str().to_owned());
    let has_nir = rng.random_bool(0.92);
    let matricule = format!("{:07}", 2_000_000 + household);
    let france_travail_id = rng
        .random_bool(0.7)
        .then(|| format!("{}{}{:08}", rng.random_range(1..=9), code, index));
    let external_id = format!("IODAS{code}{:07}", household);
    let contact_email = rng.random_bool(0.6).then(|| {
        email(
            firstname,
            lastname,
            if rng.random_bool(0.5) {
                "laposte.example"
            } else {
                "orange.example"
            },
        )
    });
    let mobile = rng
        .random_bool(0.85)
        .then(|| format!("+336{:08}", rng.random_range(0..100_000_000u32)));
    let right_rsa = match rng.random_range(0..100) {
        0..75 => "rsa_droit_ouvert_versable",
        75..85 => "rsa_droit_ouvert_et_suspendu",
        85..92 => "rsa_droit_ouvert_versement_suspendu",
        92..96 => "rsa_demande_en_attente",
        _ => "rsa_clos",
    };
    let suspension = (right_rsa == "rsa_droit_ouvert_versement_suspendu").then(|| {
        *[
            "caf_ressources_trop_elevees",
            "caf_activite_non_conforme",
            "caf_moins_25_sans_personne_charge",
        ]
        .choose(&mut rng)
        .unwrap_or(&"caf_ressources_trop_elevees")
    });
    let beneficiary = beneficiary_id(territory, index);
    tables.beneficiary.push(vec![
        f(beneficiary),
        f(deployment),
        f(firstname),
        f(lastname),
        f(birth),
        f(*territory
            .towns
            .choose(&mut rng)
            .map(|(_, c)| c)
            .unwrap_or(&city)),
        if has_nir { opt(nir) } else { Field::Null },
        f(territory.caf),
        f(&matricule),
        f(if spouse { "CJT" } else { "DEM" }),
        opt(france_travail_id),
        f(&external_id),
        f(if spouse { "CJT" } else { "DEM" }),
        opt(contact_email),
        opt(mobile),
        f(format!("{house_number} {street}")),
        f(postal_code),
        f(city),
        f(right_rsa),
        f(rng.random_bool(0.1)),
        f(rng.random_bool(0.05)),
        f(rng.random_bool(0.2)),
        f(rng.random_bool(0.02)),
        f(right_rsa != "rsa_clos"),
        opt(suspension),
        f(*FAMILY_SITUATIONS
            .choose(&mut household_rng)
            .unwrap_or(&"CEL")),
        f(created.to_rfc3339()),
    ])?;

    // The notebook.
    let notebook = id("notebook");
    let oriented = rng.random_bool(0.8);
    let structure_index = rng.random_range(0..staff.structures.len());
    let orientation = oriented
        .then(|| staff.orientation_systems[rng.random_range(0..staff.orientation_systems.len())]);
    let contract = *["cer", "cer", "ppae", "ppae", "no", "cej"]
        .choose(&mut rng)
        .unwrap_or(&"no");
    let signed = created.date_naive() + Duration::days(rng.random_range(10..120));
    let has_contract = contract != "no";
    tables.notebook.push(vec![
        f(notebook),
        f(deployment),
        f(beneficiary),
        f(rng.random_bool(0.05)),
        f(*WORK_SITUATIONS
            .choose(&mut rng)
            .unwrap_or(&"recherche_emploi")),
        f(created.date_naive() - Duration::days(rng.random_range(30..2000))),
        f(*EDUCATION_LEVELS.choose(&mut rng).unwrap_or(&"NV5")),
        f(contract),
        if has_contract { f(signed) } else { Field::Null },
        if has_contract { f(signed) } else { Field::Null },
        if has_contract {
            f(signed + Duration::days(365))
        } else {
            Field::Null
        },
        opt(orientation),
        f(created.to_rfc3339()),
    ])?;
    tables.notebook_creation.push(vec![
        f(id("creation")),
        f(deployment),
        f(notebook),
        f("demo"),
        f(created.to_rfc3339()),
    ])?;

    // Follow-up group: a referent of the structure when oriented, sometimes another professional
    // and the orientation manager.
    let accounts = &staff.professional_accounts[structure_index];
    let referent = accounts[rng.random_range(0..accounts.len())];
    let author = if oriented {
        referent
    } else {
        staff.orientation_manager_account
    };
    if oriented {
        tables.beneficiary_structure.push(vec![
            f(id("structure")),
            f(deployment),
            f(beneficiary),
            f(staff.structures[structure_index]),
            f("current"),
            f(created.to_rfc3339()),
        ])?;
        tables.notebook_member.push(vec![
            f(id("member/referent")),
            f(deployment),
            f(notebook),
            f(referent),
            f("referent"),
            f(true),
            f((created + Duration::days(rng.random_range(1..400))).to_rfc3339()),
            f(staff.orientation_manager_account),
            f(created.to_rfc3339()),
        ])?;
        if rng.random_bool(0.3) {
            let other = (structure_index + 1 + rng.random_range(0..staff.structures.len() - 1))
                % staff.structures.len();
            let accounts = &staff.professional_accounts[other];
            tables.notebook_member.push(vec![
                f(id("member/other")),
                f(deployment),
                f(notebook),
                f(accounts[rng.random_range(0..accounts.len())]),
                f("no_referent"),
                f(true),
                Field::Null,
                f(referent),
                f((created + Duration::days(30)).to_rfc3339()),
            ])?;
        }
    }
    if !oriented || rng.random_bool(0.2) {
        tables.notebook_member.push(vec![
            f(id("member/orientation")),
            f(deployment),
            f(notebook),
            f(staff.orientation_manager_account),
            f("orientation_manager"),
            f(true),
            Field::Null,
            f(staff.orientation_manager_account),
            f(created.to_rfc3339()),
        ])?;
    }

    // Plan: focuses, targets, actions, and their timeline events.
    let focus_count = if rng.random_bool(0.5) { 1 } else { 2 };
    let themes: Vec<_> = referentials
        .targets
        .choose_multiple(&mut rng, focus_count)
        .collect();
    for (focus_index, (theme, targets)) in themes.into_iter().enumerate() {
        let focus = id(&format!("focus/{focus_index}"));
        let focus_created = created + Duration::days(rng.random_range(1..60));
        tables.notebook_focus.push(vec![
            f(focus),
            f(deployment),
            f(notebook),
            f(theme),
            f(author),
            f(focus_created.to_rfc3339()),
        ])?;
        let target_count = if rng.random_bool(0.7) { 1 } else { 2 };
        for (target_index, target_text) in
            targets.choose_multiple(&mut rng, target_count).enumerate()
        {
            let target = id(&format!("focus/{focus_index}/target/{target_index}"));
            let status = *[
                "in_progress",
                "in_progress",
                "in_progress",
                "done",
                "abandonned",
            ]
            .choose(&mut rng)
            .unwrap_or(&"in_progress");
            let target_created = focus_created + Duration::hours(rng.random_range(1..48));
            tables.notebook_target.push(vec![
                f(target),
                f(deployment),
                f(notebook),
                f(focus),
                f(target_text),
                f(status),
                f(contract),
                f(rng.random_bool(0.8)),
                f(author),
                f(target_created.to_rfc3339()),
            ])?;
            tables.notebook_event.push(vec![
                f(id(&format!("focus/{focus_index}/target/{target_index}/event"))),
                f(deployment),
                f(notebook),
                f("target"),
                f(target_created.to_rfc3339()),
                f(author),
                f(serde_json::json!({"category": theme, "status": status, "event_label": target_text})),
            ])?;
            let actions = referentials.actions_for(theme);
            let action_count = if rng.random_bool(0.6) { 1 } else { 2 };
            for (action_index, action_text) in
                actions.choose_multiple(&mut rng, action_count).enumerate()
            {
                let starting = target_created + Duration::days(rng.random_range(0..90));
                let status = *["in_progress", "in_progress", "done", "planned", "canceled"]
                    .choose(&mut rng)
                    .unwrap_or(&"in_progress");
                tables.notebook_action.push(vec![
                    f(id(&format!(
                        "focus/{focus_index}/target/{target_index}/action/{action_index}"
                    ))),
                    f(deployment),
                    f(notebook),
                    f(target),
                    f(action_text),
                    f(status),
                    f(starting.to_rfc3339()),
                    f(author),
                    f(target_created.to_rfc3339()),
                ])?;
            }
        }
    }

    // Appointments with the referent.
    if oriented {
        for appointment in 0..rng.random_range(0..3) {
            let when = created
                + Duration::days(rng.random_range(7..700))
                + Duration::hours(rng.random_range(0..8));
            let status = if when > Utc::now() {
                "pending"
            } else {
                *["present", "present", "absent"]
                    .choose(&mut rng)
                    .unwrap_or(&"present")
            };
            tables.notebook_appointment.push(vec![
                f(id(&format!("appointment/{appointment}"))),
                f(deployment),
                f(notebook),
                f(referent),
                f(when.to_rfc3339()),
                f(status),
                f(created.to_rfc3339()),
            ])?;
        }
    }

    // Socio-professional diagnosis: situations and a professional project.
    let situation_count = rng.random_range(1..4);
    for (situation_index, situation) in referentials
        .situations
        .choose_multiple(&mut rng, situation_count)
        .enumerate()
    {
        tables.notebook_situation.push(vec![
            f(id(&format!("situation/{situation_index}"))),
            f(deployment),
            f(notebook),
            f(situation),
            f(created.to_rfc3339()),
            f(author),
        ])?;
    }
    if rng.random_bool(0.7) {
        tables.professional_project.push(vec![
            f(id("project")),
            f(deployment),
            f(notebook),
            opt(referentials.rome_codes.choose(&mut rng)),
            f(*[5, 10, 20, 30, 50].choose(&mut rng).unwrap_or(&10)),
            opt(rng
                .random_bool(0.5)
                .then(|| 1200 + rng.random_range(0..800))),
            opt(referentials.contract_types.choose(&mut rng)),
            opt(referentials.employment_types.choose(&mut rng)),
            f(author),
        ])?;
    }
    Ok(())
}
