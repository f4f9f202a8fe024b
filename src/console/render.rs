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
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut environment = Environment::new();
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
        for (name, _) in TEMPLATES {
            assert!(ENVIRONMENT.get_template(name).is_ok(), "{name}");
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
