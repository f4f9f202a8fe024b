//! The console in a real browser: Chromium driven through chromium-driver (WebDriver), against
//! the real app, its import worker and a real database. Each page visited is screenshotted to
//! `target/console-screenshots/`, checked with axe-core (no serious or critical violation) and
//! checked to have loaded nothing from another origin.
//!
//! Needs the `chromium` and `chromium-driver` packages (`.ci/run` installs them); the driver
//! is `chromedriver` on the PATH, or `CDB_CHROMEDRIVER`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::fixture::world;
use crate::support::{TestApp, spawn_app};

/// axe-core, vendored from npm beside the design system.
const AXE: &str = include_str!("../../src/console/static/axe/axe.min.js");

/// How long a page may take to show what a test waits for (an import's preview included).
const PATIENCE: Duration = Duration::from_secs(90);

/// A headless Chromium session and its driver process (killed with its browser on drop).
pub struct Browser {
    driver: Child,
    pub client: Client,
    origin: String,
    test: &'static str,
    shots: usize,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where the screenshots go.
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// Starts chromium-driver and a headless browser for a test, on the app's origin.
    pub async fn start(test: &'static str, app: &TestApp) -> Browser {
        let port = free_port();
        let program = std::env::var("CDB_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {program} ({error}): install chromium and chromium-driver (apt-get install chromium chromium-driver)")
            });
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,1024",
                    "--lang=fr-FR",
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Browser {
            driver,
            client,
            origin: app.address.clone(),
            test,
            shots: 0,
        }
    }

    /// Opens a console path (or a whole URL).
    pub async fn visit(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.origin)
        };
        self.client.goto(&url).await.unwrap();
    }

    /// The page's text.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Waits until an element is on the page (the page may reload meanwhile).
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let started = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                return element;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{css} never appeared; the page says: {}",
                self.text().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the page's text contains something (whatever the case: the design system
    /// writes badges in capitals).
    pub async fn wait_for_text(&self, wanted: &str) {
        let lowered = wanted.to_lowercase();
        let started = Instant::now();
        loop {
            let text = self.client.find(Locator::Css("body")).await.ok();
            if let Some(body) = text
                && body
                    .text()
                    .await
                    .is_ok_and(|text| text.to_lowercase().contains(&lowered))
            {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "« {wanted} » never appeared; the page says: {}",
                self.text().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Clicks an element.
    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    /// Keeps a screenshot of the page, checks it with axe-core and checks that everything it
    /// loaded came from the hub's origin.
    pub async fn check(&mut self, page: &str) {
        self.shots += 1;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(
            screenshots().join(format!("{}-{:02}-{page}.png", self.test, self.shots)),
            png,
        )
        .unwrap();
        let outside: Value = self
            .client
            .execute(
                "return performance.getEntriesByType('resource').map(e => e.name)\
                 .concat([location.href]).filter(n => !n.startsWith(location.origin));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            outside,
            json!([]),
            "{page}: requests outside the hub's origin"
        );
        self.client.execute(AXE, vec![]).await.unwrap();
        let violations: Value = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, \
                      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }))))\
                   .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await
            .unwrap();
        let serious: Vec<&Value> = violations
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            serious.is_empty(),
            "{page}: accessibility violations {}",
            serde_json::to_string_pretty(&serious).unwrap()
        );
    }

    /// Ends the session and the driver.
    pub async fn finish(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver and the browsers it started share its process group.
        let group = nix::unistd::Pid::from_raw(self.driver.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.driver.wait();
    }
}

/// The import worker of the app, as `serve` runs it; stopped when the handle drops.
pub struct Worker {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Worker {
    /// Starts the imports' worker on the app's database.
    pub async fn start(app: &TestApp) -> Worker {
        let jobs_pool = apalis_postgres::PgPool::connect(&app.database.url)
            .await
            .unwrap();
        let monitor = cdb_hub::jobs::imports::register_on(
            apalis::prelude::Monitor::new(),
            app.database.pool(),
            &jobs_pool,
            "browser",
            &app.address,
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(monitor.run_with_signal(async move {
            let _ = stopped.await;
            Ok(())
        }));
        Worker { stop: Some(stop) }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A name of letters, one per number.
fn letters(n: usize) -> String {
    format!("{n:05}")
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect()
}

/// An agent's Excel export saved as CSV: Windows-1252, `;`, CRLF, 1,000 people, three with a
/// birth date that does not exist (lines 12, 502 and 1001).
fn windows_1252_export() -> Vec<u8> {
    let mut text = String::from(
        "Identifiant dans le SI*;Prénom*;Nom*;Date de naissance*;Téléphone;Email;Code postal;Ville\r\n",
    );
    for i in 0..1000 {
        let date = if [10, 500, 999].contains(&i) {
            "31/02/1990".to_owned()
        } else {
            format!("{:02}/{:02}/19{}", 1 + i % 28, 1 + i % 12, 50 + i % 40)
        };
        text.push_str(&format!(
            "NAV-{i:05};Hélène{};Lefèvre{};{date};06 12 34 {:02} {:02};h{i}@example.org;26000;Valence\r\n",
            letters(i),
            letters(i),
            i % 100,
            (i / 100) % 100,
        ));
    }
    encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
}

/// Fetches a file the page links to, with the page's session; answers its bytes.
async fn download(browser: &Browser, path: &str) -> Vec<u8> {
    use base64::Engine;
    let encoded: Value = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(arguments[0], { credentials: 'same-origin' })\
               .then(r => r.arrayBuffer())\
               .then(b => { let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); done(btoa(s)); });",
            vec![json!(path)],
        )
        .await
        .unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(encoded.as_str().unwrap())
        .unwrap()
}

fn people_named(app: &TestApp, pattern: &str) -> i64 {
    crate::imports::count(
        app,
        &format!("SELECT count(*) AS count FROM beneficiary WHERE external_id LIKE '{pattern}'"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_previews_an_excel_export_fixes_its_errors_in_the_same_import_and_commits_it()
 {
    let app = spawn_app().await;
    let _world = world(&app).await;
    let _worker = Worker::start(&app).await;
    // The operator creates the agent's account: the command prints the console's link.
    let output = Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
        .env("DATABASE_URL", &app.database.url)
        .env("CDB_LOG_LEVEL", "warn")
        .args([
            "accounts",
            "create",
            "--role",
            "manager",
            "--email",
            "agent.insertion@cd-a.fr",
            "--firstname",
            "Camille",
            "--lastname",
            "Agent",
            "--deployment",
            "CD A",
            "--public-url",
            &app.address,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let account: Value = serde_json::from_slice(&output.stdout).unwrap();
    let link = account["console_link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/console/connexion/", app.address)),
        "{link}"
    );

    let mut browser = Browser::start("import", &app).await;
    browser.visit(&link).await;
    browser.check("lien-de-connexion").await;
    browser.click("#se-connecter").await;
    browser.wait_for_text("Imports de fichiers").await;
    assert!(browser.text().await.contains("Camille Agent"));
    browser.check("imports-vide").await;

    // A Windows-1252 export of 1,000 lines with three bad dates.
    let folder = tempfile::tempdir().unwrap();
    let export = folder.path().join("export-cd-a.csv");
    std::fs::write(&export, windows_1252_export()).unwrap();
    browser.click("a[href='/console/imports/nouveau']").await;
    browser.wait_for("#formulaire-import").await;
    browser.check("nouvel-import").await;
    browser
        .wait_for("#file")
        .await
        .send_keys(export.to_str().unwrap())
        .await
        .unwrap();
    browser.click("#envoyer").await;
    // The preview, followed live, then its counts.
    browser.wait_for("#compteurs").await;
    browser.check("apercu").await;
    let valid = browser
        .wait_for("#compte-valides")
        .await
        .text()
        .await
        .unwrap();
    let errors = browser
        .wait_for("#compte-erreurs")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!((valid.as_str(), errors.as_str()), ("997", "3"));
    let url = browser.client.current_url().await.unwrap();
    let import_path = url.path().to_owned();
    // The errors, each with its line, column, value and French message.
    browser
        .click(&format!("a[href='{import_path}?statut=error']"))
        .await;
    browser.wait_for_text("Lignes du fichier").await;
    let text = browser.text().await;
    for line in ["12", "502", "1001"] {
        assert!(text.contains(line), "line {line}: {text}");
    }
    assert!(
        text.contains("Colonne « Date de naissance* », valeur « 31/02/1990 »"),
        "{text}"
    );
    assert!(text.contains("n'existe pas"), "{text}");
    browser.check("apercu-erreurs").await;
    assert_eq!(people_named(&app, "NAV-%"), 0, "a preview writes nothing");

    // The agent downloads the lines to correct, fixes them in Excel, sends them back.
    let href = browser
        .wait_for("#telecharger-erreurs")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let errors_csv = download(&browser, &href).await;
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&errors_csv);
    assert!(
        text.contains("Lefèvre"),
        "the errors file keeps the file's encoding"
    );
    assert_eq!(text.lines().count(), 4, "{text}");
    let corrected = encoding_rs::WINDOWS_1252
        .encode(&text.replace("31/02/1990", "28/02/1990"))
        .0
        .into_owned();
    let fixed = folder.path().join("export-cd-a-erreurs.csv");
    std::fs::write(&fixed, corrected).unwrap();
    browser.visit(&import_path).await;
    browser
        .wait_for("#corrections")
        .await
        .send_keys(fixed.to_str().unwrap())
        .await
        .unwrap();
    browser.click("#envoyer-corrections").await;
    browser.wait_for("#lignes-corrigees").await;
    browser.wait_for("#compteurs").await;
    let valid = browser
        .wait_for("#compte-valides")
        .await
        .text()
        .await
        .unwrap();
    let errors = browser
        .wait_for("#compte-erreurs")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!((valid.as_str(), errors.as_str()), ("1000", "0"));
    browser.check("apercu-corrige").await;

    // The commit, watched to its end.
    browser.click("#valider").await;
    browser.wait_for_text("Importé").await;
    browser.wait_for("#compteurs").await;
    let created = browser
        .wait_for("#compte-creations")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(created, "1000");
    browser.check("import-termine").await;
    assert_eq!(people_named(&app, "NAV-%"), 1000);

    // The people list shows the new people.
    browser.visit("/console/personnes?nom=Lefèvreaaabc").await;
    browser.wait_for_text("LEFÈVREAAABC").await;
    assert!(
        browser.text().await.contains("Hélèneaaabc"),
        "accents read from Windows-1252"
    );
    browser.check("personnes").await;
    browser.visit("/console/imports").await;
    browser.wait_for_text("export-cd-a.csv").await;
    browser.check("imports").await;

    // The original's own template, in a deployment without its structure and referent: every
    // line is kept, and what was left out is said.
    browser.click("a[href='/console/imports/nouveau']").await;
    let original = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/imports/import_beneficiaires_original.csv");
    browser
        .wait_for("#file")
        .await
        .send_keys(original.to_str().unwrap())
        .await
        .unwrap();
    browser.click("#envoyer").await;
    browser.wait_for("#compteurs").await;
    let errors = browser
        .wait_for("#compte-erreurs")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(errors, "0");
    let text = browser.text().await;
    assert!(text.contains("3\navec avertissements"), "{text}");
    assert!(
        text.contains("Avertissement — colonne « Structure »"),
        "{text}"
    );
    browser.check("modele-original").await;
    browser.click("#valider").await;
    browser.wait_for_text("Importé").await;
    browser.check("modele-original-importe").await;
    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_its_own_pages_and_every_page_passes_the_accessibility_check() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let held =
        crate::console::a_possible_match(&app, world.token("manager_a"), world.deployment_a).await;
    let instance = crate::console::a_caf_instance(&app, world.token("manager_a")).await;
    let mut browser = Browser::start("roles", &app).await;
    browser.visit("/console/connexion").await;
    browser.check("connexion").await;
    // The sign-in form says what is wrong with an address, next to the field.
    browser
        .wait_for("#email")
        .await
        .send_keys("agent@")
        .await
        .unwrap();
    browser.click("button[type='submit']").await;
    browser.wait_for("#email-erreur").await;
    browser.check("connexion-erreur").await;
    for (caller, landing, sees, hidden) in [
        (
            "professional_member",
            "/console/personnes",
            "TIFOUR",
            "AUTRE",
        ),
        (
            "admin_structure_s1",
            "/console/imports",
            "Administrateur de structure",
            "TIFOUR",
        ),
        (
            "manager_a",
            "/console/imports",
            "Gestionnaire du déploiement",
            "TIFOUR",
        ),
    ] {
        browser.client.delete_all_cookies().await.unwrap();
        browser.visit("/console/connexion").await;
        // The session a magic link would have opened for this person.
        browser
            .client
            .execute(
                "document.cookie = 'cdb_console=' + arguments[0] + '; path=/console; SameSite=Lax';",
                vec![json!(world.token(caller))],
            )
            .await
            .unwrap();
        browser.visit("/console").await;
        browser.wait_for_text(sees).await;
        let url = browser.client.current_url().await.unwrap();
        assert_eq!(url.path(), landing, "{caller}");
        assert!(
            !browser.text().await.contains(hidden),
            "{caller} sees {hidden}"
        );
        browser.check(caller).await;
    }
    // The manager (signed in last) reads a person's page and decides a possible match.
    browser
        .visit(&format!("/console/personnes/{}", world.beneficiary))
        .await;
    browser.wait_for_text("Journal d'accès").await;
    browser.check("personne").await;
    browser.visit("/console/rapprochements").await;
    browser.wait_for_text("Nina DOUBLE").await;
    browser.check("rapprochements").await;
    browser
        .visit(&format!("/console/rapprochements/{held}"))
        .await;
    browser.wait_for("#comparaison").await;
    browser.check("rapprochement").await;
    browser.click("label[for='choix-autre']").await;
    browser.click("#trancher").await;
    browser.wait_for_text("Décision enregistrée").await;
    browser.visit("/console/connecteurs").await;
    browser.wait_for_text("CAF 93").await;
    browser.check("connecteurs").await;
    browser
        .visit(&format!("/console/connecteurs/{instance}"))
        .await;
    browser.wait_for("#formulaire-fichier").await;
    browser.check("connecteur").await;
    browser.visit("/console/nulle-part").await;
    browser.wait_for_text("Page introuvable").await;
    browser.check("page-introuvable").await;
    browser.finish().await;
}
