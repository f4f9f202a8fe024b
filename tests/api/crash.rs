//! A worker killed with `kill -9` in the middle of a chunk-path commit: `cdb-hub import` runs as
//! a real process on the test database and is killed while a chunk is under way; `--resume`
//! finishes the import. Two databases take the same two files (the whole template, then next
//! month's export of the same people): one without a fault, one killed in each commit. Every
//! trace must be the same: line results, people, notebooks, projects, structures, members,
//! timelines, change feed, source links, possible matches.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::fixture::world;
use crate::support::{TestApp, spawn_app};

const HEADER: &str = "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;NIR;Téléphone;Email;Code postal;Ville;\
Numéro allocataire CAF/MSA;Droits RSA;Situation;RQTH;Zone de mobilité;Emploi recherché (code ROME);\
Niveau de formation;Structure;Accompagnateurs";

const SITUATIONS: [&str; 5] = [
    "En recherche d'emploi",
    "En formation",
    "En construction de projet",
    "Au foyer",
    "En IAE",
];
const JOBS: [&str; 4] = ["A1101", "B1805", "K2204, N1103", ""];
const LEVELS: [&str; 4] = [
    "Bac ou équivalent",
    "CAP, BEP ou équivalent",
    "",
    "Bac+2 ou équivalent",
];

/// A NIR (with its key) of person `i`.
fn nir(i: u32) -> String {
    let body = format!("2850375{:06}", 200_000 + i);
    let number: u64 = body.parse().unwrap();
    format!("{body}{:02}", 97 - number % 97)
}

/// `i` written in letters (names take no digits).
fn letters(mut i: u32) -> String {
    let mut text = String::new();
    loop {
        text.push(char::from(b'a' + u8::try_from(i % 26).unwrap()));
        i /= 26;
        if i == 0 {
            return text;
        }
    }
}

/// Line of person `i`; `month` 2 is next month's export: new contact details for a third,
/// another situation for a tenth, changed rights for a tenth, and a birth date that disagrees
/// (a possible match) for one in fifty.
fn line(i: u32, month: u32) -> String {
    let changed = month == 2 && i.is_multiple_of(3);
    let phone = if changed {
        format!("07{:08}", i)
    } else {
        format!("06{:08}", i)
    };
    let email = if changed {
        format!("nouvelle.adresse{i}@exemple.fr")
    } else {
        format!("personne{i}@exemple.fr")
    };
    let situation = SITUATIONS[((i + if month == 2 && i % 10 == 1 { 1 } else { 0 }) % 5) as usize];
    let rights = if month == 2 && i % 10 == 2 {
        "Droit ouvert et suspendu"
    } else {
        "Droit ouvert et versable"
    };
    // A couple shares a CAF number every 20 people (told apart by their birth dates).
    let caf = format!("{:07}", 4_000_000 + i - u32::from(i % 20 == 1));
    let (structure, advisors) = match i % 4 {
        0 => ("S1", "member@example.org"),
        1 => ("S2", ""),
        _ => ("", ""),
    };
    format!(
        "SI-{i};Prénom{};Nom{};{:02}/{:02}/19{};{};{phone};{email};26000;{};{caf};{rights};{situation};{};{};{};{};{structure};{advisors}",
        letters(i),
        letters(i % 37),
        1 + i % 28,
        1 + i % 12,
        60 + i % 40 + u32::from(month == 2 && i % 50 == 3),
        nir(i),
        if changed { "Crest" } else { "Valence" },
        if i.is_multiple_of(7) { "Oui" } else { "Non" },
        if i.is_multiple_of(2) {
            "Entre 10 et 20 km"
        } else {
            ""
        },
        JOBS[(i % 4) as usize],
        LEVELS[(i % 4) as usize],
    )
}

/// The whole template for `count` people (`month` 1), or next month's export of them: 2 %
/// gone, 5 % new.
fn file(count: u32, month: u32) -> String {
    let mut text = format!("{HEADER}\r\n");
    let people: Vec<u32> = if month == 1 {
        (0..count).collect()
    } else {
        (0..count)
            .filter(|i| i % 50 != 7)
            .chain(count..count + count / 20)
            .collect()
    };
    for i in people {
        text.push_str(&line(i, month));
        text.push_str("\r\n");
    }
    text
}

fn cli(app: &TestApp) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-hub"));
    command
        .env("DATABASE_URL", &app.database.url)
        .env("CDB_LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// The import's progress: (rows done, status).
fn progress(conn: &mut PgConnection) -> Option<(i64, String)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        done: i64,
        #[diesel(sql_type = Text)]
        status: String,
    }
    diesel::sql_query(
        "SELECT rows_done::int8 AS done, status FROM import ORDER BY created_at DESC LIMIT 1",
    )
    .get_result::<Row>(conn)
    .optional()
    .unwrap()
    .map(|row| (row.done, row.status))
}

fn text(conn: &mut PgConnection, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Text>)]
        value: Option<String>,
    }
    diesel::sql_query(sql)
        .get_result::<Row>(conn)
        .unwrap()
        .value
        .unwrap_or_default()
}

/// Runs `cdb-hub import` with these arguments to its end.
fn import(app: &TestApp, arguments: &[&std::ffi::OsStr]) {
    let output = cli(app)
        .args(["import", "--deployment", "CD A"])
        .args(arguments)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Commits the file through `cdb-hub import` to its end.
fn commit(app: &TestApp, path: &std::path::Path) {
    import(app, &[path.as_os_str()]);
}

/// Commits the file through `cdb-hub import`, killed with SIGKILL in the middle of the chunk
/// after the first `after` lines, then `--resume`d.
///
/// The kill point does not depend on timing: the test holds the change feed's counter row
/// (every chunk takes it as the last statement of its transaction), lets each chunk through
/// until `after` lines are committed, and kills the process while the next chunk, its writes
/// done, waits for the counter.
fn commit_killed(app: &TestApp, path: &std::path::Path, after: i64) {
    let mut conn = app.database.connect();
    let mut gate = app.database.connect();
    let hold = |gate: &mut PgConnection| {
        gate.batch_execute("BEGIN; SELECT value FROM change_counter FOR UPDATE;")
            .unwrap()
    };
    // A chunk waits on the gate: its backend is blocked by the gate's.
    let waiting = |conn: &mut PgConnection| {
        text(
            conn,
            "SELECT count(*)::text AS value FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock' \
             AND query ILIKE '%change_counter%'",
        ) != "0"
    };
    hold(&mut gate);
    let mut child: Child = cli(app)
        .args(["import", "--deployment", "CD A"])
        .arg(path)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert!(
            Instant::now() < deadline,
            "the import never reached line {after}"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import ended ({status}) before it could be killed");
        }
        if waiting(&mut conn) {
            if progress(&mut conn).is_some_and(|(done, _)| done >= after) {
                break;
            }
            // Let this chunk commit, and hold the counter again for the next one.
            gate.batch_execute("COMMIT").unwrap();
            hold(&mut gate);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // `Child::kill` is SIGKILL: no drain, no rollback by the process, its connections cut.
    child.kill().unwrap();
    child.wait().unwrap();
    gate.batch_execute("COMMIT").unwrap();
    let (done, status) = progress(&mut conn).unwrap();
    assert_eq!(status, "committing", "killed at {done}: not in the middle");
    let id = text(
        &mut conn,
        "SELECT id::text AS value FROM import ORDER BY created_at DESC LIMIT 1",
    );
    import(app, &["--resume".as_ref(), id.as_ref()]);
    assert_eq!(progress(&mut conn).unwrap().1, "committed");
}

/// Everything the two files left in deployment CD A, without ids or clock times.
fn traces(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut conn = app.database.connect();
    let person = "(SELECT external_id FROM beneficiary WHERE id = x.beneficiary_id)";
    let of_notebook = "(SELECT b.external_id FROM notebook n JOIN beneficiary b ON b.id = n.beneficiary_id WHERE n.id = x.notebook_id)";
    let a = "(SELECT id FROM deployment WHERE label = 'CD A')";
    let queries: Vec<(&'static str, String)> = vec![
        ("line results",
            "SELECT string_agg(i.n || ':' || x.line || ':' || x.status || ':' || coalesce(x.changes::text, '') || ':' || coalesce(x.errors::text, ''), E'\\n' ORDER BY i.n, x.line) AS value \
             FROM import_row x JOIN (SELECT id, row_number() OVER (ORDER BY created_at) AS n FROM import) i ON i.id = x.import_id"
        .into()),
        ("import counts", "SELECT string_agg(counts::text || status, E'\\n' ORDER BY created_at) AS value FROM import".into()),
        ("people", format!(
            "SELECT string_agg(concat_ws('|', external_id, firstname, lastname, date_of_birth, nir, mobile_number, email, city, caf_number, household_role, right_rsa), E'\\n' ORDER BY external_id) AS value \
             FROM beneficiary WHERE deployment_id = {a} AND external_id ~ '^SI-[0-9]+$'"
        )),
        ("notebooks", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', {of_notebook}, work_situation, right_rqth, education_level, version) AS line \
             FROM (SELECT id AS notebook_id, * FROM notebook WHERE deployment_id = {a}) x) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
        ("projects", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', {of_notebook}, r.code, x.mobility_radius) AS line \
             FROM professional_project x LEFT JOIN rome_code r ON r.id = x.rome_code_id WHERE x.deployment_id = {a}) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
        ("structures", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', {person}, s.name, x.status) AS line \
             FROM beneficiary_structure x JOIN structure s ON s.id = x.structure_id WHERE x.deployment_id = {a}) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
        ("members", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', {of_notebook}, p.email, x.member_type, x.active) AS line \
             FROM notebook_member x JOIN account ac ON ac.id = x.account_id JOIN professional p ON p.id = ac.professional_id WHERE x.deployment_id = {a}) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
        ("timelines", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', {of_notebook}, x.event_type, regexp_replace((x.payload - 'date')::text, '[0-9a-f]{{8}}(-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}', '<id>', 'g')) AS line \
             FROM notebook_event x WHERE x.deployment_id = {a}) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
        ("change feed", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', {person}, x.kind, x.fields::text, x.source_system) AS line \
             FROM change x WHERE x.deployment_id = {a}) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
        ("source links", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', {person}, x.source_system, x.source_record_id) AS line \
             FROM beneficiary_source x WHERE x.deployment_id = {a}) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
        ("possible matches", format!(
            "SELECT string_agg(line, E'\\n' ORDER BY line) AS value FROM (SELECT concat_ws('|', x.record -> 'fields' ->> 'external_id', x.status, x.reason) AS line \
             FROM possible_match x WHERE x.deployment_id = {a}) l WHERE line ~ '^SI-[0-9]+[|]'"
        )),
    ];
    queries
        .into_iter()
        .map(|(name, sql)| (name, text(&mut conn, &sql)))
        .collect()
}

#[tokio::test]
async fn a_worker_killed_in_the_middle_of_a_chunk_path_commit_resumes_with_nothing_lost_nor_duplicated()
 {
    let calm = spawn_app().await;
    let faulty = spawn_app().await;
    // The same world in both: structures S1 and S2, a professional member@example.org.
    world(&calm).await;
    world(&faulty).await;
    let dir = tempfile::tempdir().unwrap();
    let count = 1_600;
    let first = dir.path().join("template.csv");
    let next = dir.path().join("next-month.csv");
    std::fs::write(&first, file(count, 1)).unwrap();
    std::fs::write(&next, file(count, 2)).unwrap();
    let (calm, faulty) = tokio::task::spawn_blocking(move || {
        commit(&calm, &first);
        commit(&calm, &next);
        // Killed in the chunk after the first, then in the one after the second.
        commit_killed(&faulty, &first, 500);
        commit_killed(&faulty, &next, 1_000);
        (traces(&calm), traces(&faulty))
    })
    .await
    .unwrap();
    // The files went through: every person of both months is there.
    let people = &calm.iter().find(|(name, _)| *name == "people").unwrap().1;
    assert_eq!(
        people.lines().count(),
        1_600 + 80,
        "{}\n{}",
        calm[1].1,
        calm[0].1.chars().take(1500).collect::<String>()
    );
    for ((name, calm), (_, faulty)) in calm.iter().zip(&faulty) {
        assert!(!calm.is_empty(), "{name}: nothing to compare");
        let only = |a: &str, b: &str| -> Vec<String> {
            let theirs: std::collections::HashSet<&str> = b.lines().collect();
            a.lines()
                .filter(|line| !theirs.contains(line))
                .take(20)
                .map(str::to_owned)
                .collect()
        };
        assert!(
            calm == faulty,
            "{name} differ after the kill:\n--- only without fault\n{}\n--- only killed and resumed\n{}",
            only(calm, faulty).join("\n"),
            only(faulty, calm).join("\n")
        );
    }
}
