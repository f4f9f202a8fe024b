//! The pages of the problem `type` URIs: `/problems/{code}` says, in French and English, what a
//! code means and what to do; `/problems` lists them all. HTML for people, JSON for tools
//! (`Accept: application/json`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, ErrorCode, code_name as name};
use super::problem_guide::{self, Explanation, Guide};

/// Where a code's page lives (the `type` of its problem documents).
pub fn type_uri(code: ErrorCode) -> String {
    format!("/problems/{}", name(code))
}

/// A problem code explained.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemType {
    /// The code, as in the problem documents' `code`.
    pub code: ErrorCode,
    /// The `type` URI of its documents.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// The HTTP status it comes with.
    pub status: u16,
    /// Its title.
    pub title: String,
    /// En français : ce que cela veut dire, et que faire.
    #[schema(value_type = Object)]
    pub fr: Explanation,
    /// In English: what it means, and what to do.
    #[schema(value_type = Object)]
    pub en: Explanation,
}

fn explained(code: ErrorCode) -> ProblemType {
    let Guide { fr, en } = problem_guide::of(code);
    ProblemType {
        code,
        type_uri: type_uri(code),
        status: code.http_status().as_u16(),
        title: code.title().to_owned(),
        fr,
        en,
    }
}

/// Whether the caller asked for JSON rather than a page.
fn wants_json(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json") && !accept.contains("text/html"))
}

/// Every problem code, with what it means and what to do.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Every code: a page for people, JSON with `Accept: application/json`.", content(
            (Vec<ProblemType> = "application/json"),
            (String = "text/html"),
        )),
    )
)]
#[get("/problems")]
pub async fn list_problems(request: HttpRequest) -> HttpResponse {
    let all: Vec<ProblemType> = problem_guide::ALL.iter().copied().map(explained).collect();
    if wants_json(&request) {
        return HttpResponse::Ok().json(all);
    }
    let items: String = all
        .iter()
        .map(|problem| {
            format!(
                "<li><a href=\"{uri}\"><code>{code}</code></a> — {status} {title}</li>",
                uri = problem.type_uri,
                code = name(problem.code),
                status = problem.status,
                title = escape(&problem.title),
            )
        })
        .collect();
    page(
        "Codes d'erreur de l'API — API error codes",
        &format!(
            "<h1>Codes d'erreur de l'API <span lang=\"en\">/ API error codes</span></h1>\
             <p>Chaque erreur de l'API est un document <code>application/problem+json</code> (RFC 9457) \
             dont le champ <code>type</code> mène à l'une de ces pages.</p>\
             <p lang=\"en\">Every API error is an <code>application/problem+json</code> document (RFC 9457) \
             whose <code>type</code> leads to one of these pages.</p><ul>{items}</ul>"
        ),
    )
}

/// What one problem code means and what to do, in French and English.
#[utoipa::path(
    tag = "operations",
    params(("code" = ErrorCode, Path, description = "The problem's `code`.")),
    responses(
        (status = 200, description = "The code explained: a page for people, JSON with `Accept: application/json`.", content(
            (ProblemType = "application/json"),
            (String = "text/html"),
        )),
        (status = 404, description = "No such code.", body = super::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/problems/{code}")]
pub async fn get_problem(
    request: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let wanted = code.into_inner();
    let code = problem_guide::ALL
        .into_iter()
        .find(|code| name(*code) == wanted)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No problem code of this name."))?;
    let problem = explained(code);
    if wants_json(&request) {
        return Ok(HttpResponse::Ok().json(problem));
    }
    let section = |lang: &str, heading: &str, labels: [&str; 2], text: &Explanation| {
        format!(
            "<section lang=\"{lang}\"><h2>{heading}</h2><h3>{}</h3><p>{}</p><h3>{}</h3><p>{}</p></section>",
            labels[0],
            prose(text.meaning),
            labels[1],
            prose(text.what_to_do)
        )
    };
    let code_name = name(code);
    Ok(page(
        &format!("{code_name} — {}", problem.title),
        &format!(
            "<p><a href=\"/problems\">Tous les codes / All codes</a></p>\
             <h1><code>{code_name}</code></h1><p>HTTP {status} — {title}</p>{fr}{en}",
            status = problem.status,
            title = escape(&problem.title),
            fr = section(
                "fr",
                "En français",
                ["Ce que cela veut dire", "Que faire"],
                &problem.fr
            ),
            en = section(
                "en",
                "In English",
                ["What it means", "What to do"],
                &problem.en
            ),
        ),
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escaped text whose `code spans` become `<code>`.
fn prose(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self'",
        ))
        .body(format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{} — cdb-hub</title>\
             <link rel=\"stylesheet\" href=\"/console/static/dsfr/dsfr.min.css\"></head>\
             <body><main class=\"fr-container fr-my-4w\" id=\"contenu\">{body}</main></body></html>",
            escape(title)
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_become_code_and_text_is_escaped() {
        assert_eq!(
            prose("send `If-Match` <now>"),
            "send <code>If-Match</code> &lt;now&gt;"
        );
    }
}
