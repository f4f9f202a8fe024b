//! Rendering pages: the templates (compiled into the binary, escaped for HTML), the frame
//! every page shares (header, navigation, the signed-in person, the CSRF token), and the
//! headers every console answer carries (a content security policy that keeps every request
//! on the hub's origin).

use std::sync::LazyLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use minijinja::Environment;
use serde::Serialize;

use super::error::ConsoleError;

/// The templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("error.html", include_str!("templates/error.html")),
    ("sign_in.html", include_str!("templates/sign_in.html")),
    (
        "sign_in_sent.html",
        include_str!("templates/sign_in_sent.html"),
    ),
    (
        "sign_in_confirm.html",
        include_str!("templates/sign_in_confirm.html"),
    ),
    (
        "imports_list.html",
        include_str!("templates/imports_list.html"),
    ),
    ("import_new.html", include_str!("templates/import_new.html")),
    (
        "import_show.html",
        include_str!("templates/import_show.html"),
    ),
    (
        "people_list.html",
        include_str!("templates/people_list.html"),
    ),
    ("person.html", include_str!("templates/person.html")),
    (
        "matches_list.html",
        include_str!("templates/matches_list.html"),
    ),
    ("match.html", include_str!("templates/match.html")),
    (
        "connectors_list.html",
        include_str!("templates/connectors_list.html"),
    ),
    ("connector.html", include_str!("templates/connector.html")),
    (
        "connector_run.html",
        include_str!("templates/connector_run.html"),
    ),
    (
        "connector_file.html",
        include_str!("templates/connector_file.html"),
    ),
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
    // A name of the API (a field, a part of the notebook), in French when the console knows it.
    environment.add_filter("libelle", |name: String| super::labels::field(&name));
    for (name, source) in TEMPLATES {
        if let Err(error) = environment.add_template(name, source) {
            tracing::error!(%error, template = name, "a console template does not compile");
        }
    }
    environment
});

/// The signed-in person, as the header shows them.
#[derive(Debug, Clone, Serialize)]
pub struct Visitor {
    /// Their name (or e-mail when the profile has no name).
    pub name: String,
    /// Their role, in French.
    pub role: &'static str,
    /// Their deployment's label.
    pub deployment: Option<String>,
    /// May they import files (the imports' menu entry).
    pub imports: bool,
    /// May they read people (the people's menu entry).
    pub people: bool,
    /// Do they decide possible matches (the deployment's managers).
    pub matches: bool,
    /// Do they administer connectors.
    pub connectors: bool,
}

/// What every page shares.
#[derive(Debug, Clone, Serialize)]
pub struct Frame {
    /// The page's title (the `<title>` and the `<h1>`).
    pub title: String,
    /// The menu entry this page belongs to.
    pub section: &'static str,
    /// The signed-in person.
    pub visitor: Option<Visitor>,
    /// The token every form of the page carries.
    pub csrf: String,
    /// The design system's version (cache key of its files).
    pub dsfr: &'static str,
}

impl Frame {
    /// A frame for a page.
    pub fn new(
        title: impl Into<String>,
        section: &'static str,
        visitor: Option<Visitor>,
        csrf: String,
    ) -> Self {
        Frame {
            title: title.into(),
            section,
            visitor,
            csrf,
            dsfr: super::assets::DSFR_VERSION,
        }
    }
}

/// Renders a template with the frame and the page's own values.
pub fn render<T: Serialize>(
    template: &str,
    frame: &Frame,
    page: &T,
) -> Result<String, ConsoleError> {
    let template = ENVIRONMENT.get_template(template).map_err(internal)?;
    template
        .render(minijinja::context! { frame => frame, page => page })
        .map_err(internal)
}

/// A 200 page.
pub fn page<T: Serialize>(
    template: &str,
    frame: &Frame,
    page: &T,
) -> Result<HttpResponse, ConsoleError> {
    Ok(html(
        actix_web::http::StatusCode::OK,
        render(template, frame, page)?,
    ))
}

/// An HTML answer.
pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn internal(error: minijinja::Error) -> ConsoleError {
    ConsoleError::Api(crate::api::problem::ApiError::internal(&error))
}

/// A JSON value (a notebook as the API returns it, an event's payload) as nested HTML lists:
/// objects as definition lists under the French name of each key, arrays as lists, empty
/// values left out. Every text goes through the template engine's HTML escaping.
pub fn nested(value: &serde_json::Value) -> minijinja::Value {
    fn write(out: &mut String, value: &serde_json::Value) {
        use std::fmt::Write as _;
        match value {
            serde_json::Value::Object(fields) => {
                out.push_str("<dl class=\"cdb-dl\">");
                for (key, item) in fields {
                    let empty = match item {
                        serde_json::Value::Null => true,
                        serde_json::Value::String(text) => text.is_empty(),
                        serde_json::Value::Array(items) => items.is_empty(),
                        serde_json::Value::Object(items) => items.is_empty(),
                        _ => false,
                    };
                    if empty {
                        continue;
                    }
                    let label = super::labels::field(key);
                    let _ = write!(out, "<dt>{}</dt><dd>", minijinja::HtmlEscape(&label));
                    write(out, item);
                    out.push_str("</dd>");
                }
                out.push_str("</dl>");
            }
            serde_json::Value::Array(items) => {
                out.push_str("<ul class=\"cdb-list\">");
                for item in items {
                    out.push_str("<li>");
                    write(out, item);
                    out.push_str("</li>");
                }
                out.push_str("</ul>");
            }
            serde_json::Value::Bool(true) => out.push_str("oui"),
            serde_json::Value::Bool(false) => out.push_str("non"),
            serde_json::Value::Null => {}
            serde_json::Value::String(text) => {
                let _ = write!(out, "{}", minijinja::HtmlEscape(text));
            }
            serde_json::Value::Number(number) => {
                let _ = write!(out, "{number}");
            }
        }
    }
    let mut out = String::new();
    write(&mut out, value);
    minijinja::Value::from_safe_string(out)
}

/// The page of an error (rendered without the signed-in frame; plain text if even that fails).
pub fn error_page(title: &str, message: &str, status: u16) -> String {
    let frame = Frame::new(title, "", None, String::new());
    render(
        "error.html",
        &frame,
        &minijinja::context! { message => message, status => status },
    )
    .unwrap_or_else(|_| format!("{title} — {message}"))
}

/// The security headers of every console answer: the policy keeps scripts, styles, fonts,
/// images, forms and requests on the hub's own origin; pages are never framed nor cached.
pub async fn page_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_static = request.path().starts_with("/console/static/");
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'; object-src 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !is_static {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let mut environment = Environment::new();
        environment.add_filter("libelle", |name: String| name);
        for (name, source) in TEMPLATES {
            if let Err(error) = environment.add_template(name, source) {
                panic!("{name}: {error:#}");
            }
            assert!(ENVIRONMENT.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn every_template_file_is_compiled_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                TEMPLATES.iter().any(|(listed, _)| *listed == name),
                "{name} is not in TEMPLATES"
            );
        }
    }

    #[test]
    fn values_are_escaped_for_html() {
        let frame = Frame::new("<script>alert(1)</script>", "", None, "\"><x".into());
        let page = render(
            "error.html",
            &frame,
            &minijinja::context! { message => "<img src=x onerror=alert(1)>", status => 404 },
        )
        .unwrap();
        assert!(!page.contains("<script>alert"));
        assert!(!page.contains("<img src=x"));
        assert!(page.contains("&lt;img src=x"));
    }
}

#[cfg(test)]
mod page_tests {
    use super::*;

    #[test]
    fn a_notebook_of_any_shape_renders_as_nested_lists() {
        let frame = Frame::new("Sophie TIFOUR", "personnes", None, "t".into());
        let notebook = serde_json::json!({
            "members": [{"firstname": "Ana", "active": true, "left_at": null}],
            "socio_pro": {"situations": [], "work_situation": "recherche_emploi"},
            "version": 3
        });
        let page = ENVIRONMENT
            .get_template("person.html")
            .unwrap()
            .render(minijinja::context! {
                frame => frame,
                page => minijinja::context! {
                    fields => Vec::<String>::new(),
                    notebook => nested(&notebook),
                    events => Vec::<String>::new(),
                    journal => None::<Vec<String>>,
                },
            })
            .map_err(|e| format!("{e:#}"))
            .unwrap();
        assert!(page.contains("Groupe de suivi"), "{page}");
        assert!(page.contains("recherche_emploi"));
        assert!(!page.contains("Journal d"));
        let hostile = nested(&serde_json::json!({"<b>": "<script>alert(1)</script>"})).to_string();
        assert!(
            !hostile.contains("<script>") && !hostile.contains("<b>"),
            "{hostile}"
        );
    }
}
