//! Rate limiting: a token bucket per API client and per account (per address for anonymous
//! calls), and a stricter one per address on the token and login endpoints. Every response
//! carries the IETF's `RateLimit-Policy` (`"caller";q=100;w=60`: the quota of a 60-second
//! window) and `RateLimit` (`"caller";r=42;t=30`: what is left, and seconds until the bucket
//! is full again), and, for one more version, the draft's older `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset`; a refusal is a 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::problem::{ApiError, ErrorCode};
use crate::api::caller::{authenticate, bearer_token};
use crate::api::state::AppState;

type Limiter<K> =
    RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// The buckets of this process.
pub struct RateLimits {
    callers: Limiter<String>,
    sign_in: Limiter<IpAddr>,
    caller_limit: u32,
    sign_in_limit: u32,
    checks: AtomicU64,
}

/// Paths limited per address as well: where secrets are guessed.
const SIGN_IN_PATHS: [&str; 3] = ["/oauth/token", "/v1/auth/login", "/v1/auth/session"];

impl RateLimits {
    /// Buckets refilling `per_minute` requests a minute, holding at most that many.
    pub fn new(per_minute: u32, sign_in_per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let sign_in = NonZeroU32::new(sign_in_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimits {
            callers: RateLimiter::keyed(Quota::per_minute(per_minute))
                .with_middleware::<StateInformationMiddleware>(),
            sign_in: RateLimiter::keyed(Quota::per_minute(sign_in))
                .with_middleware::<StateInformationMiddleware>(),
            caller_limit: per_minute.get(),
            sign_in_limit: sign_in.get(),
            checks: AtomicU64::new(0),
        }
    }

    fn forget_idle_keys(&self) {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(10_000)
        {
            self.callers.retain_recent();
            self.sign_in.retain_recent();
        }
    }
}

/// The outcome of a bucket check, for the headers.
struct Verdict {
    policy: &'static str,
    limit: u32,
    remaining: u32,
    reset_secs: u64,
    retry_after: Option<u64>,
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Limiter<K>,
    key: &K,
    limit: u32,
    policy: &'static str,
) -> Verdict {
    let period = 60.0 / f64::from(limit);
    match limiter.check_key(key) {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            Verdict {
                policy,
                limit,
                remaining,
                reset_secs: (f64::from(limit - remaining.min(limit)) * period).ceil() as u64,
                retry_after: None,
            }
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Verdict {
                policy,
                limit,
                remaining: 0,
                reset_secs: secs.max(1),
                retry_after: Some(secs.max(1)),
            }
        }
    }
}

fn set_headers(headers: &mut actix_web::http::header::HeaderMap, verdict: &Verdict) {
    let mut text = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    text(
        "ratelimit-policy",
        format!("\"{}\";q={};w=60", verdict.policy, verdict.limit),
    );
    text(
        "ratelimit",
        format!(
            "\"{}\";r={};t={}",
            verdict.policy, verdict.remaining, verdict.reset_secs
        ),
    );
    // The older draft's names, kept one version (deprecated).
    text("ratelimit-limit", verdict.limit.to_string());
    text("ratelimit-remaining", verdict.remaining.to_string());
    text("ratelimit-reset", verdict.reset_secs.to_string());
    if let Some(retry) = verdict.retry_after {
        text("retry-after", retry.to_string());
    }
}

/// The middleware: see the module documentation.
pub async fn rate_limit(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let limits = &state.limits;
    limits.forget_idle_keys();
    let address = request
        .peer_addr()
        .map(|peer| caller_address(peer.ip(), request.headers(), &state.auth.trusted_proxies));
    let mut verdict = None;
    // The router decodes percent-escapes (`/oauth/%74oken` reaches the token endpoint): compare
    // the decoded path, or the stricter bucket could be bypassed.
    let path = percent_encoding::percent_decode_str(request.path())
        .decode_utf8_lossy()
        .into_owned();
    // The console's sign-in forms (asking for a link, opening a session) count as sign-ins.
    let console_sign_in =
        request.method() == actix_web::http::Method::POST && path.starts_with("/console/connexion");
    if (SIGN_IN_PATHS.contains(&path.as_str()) || console_sign_in)
        && let Some(address) = address
    {
        let by_address = check(&limits.sign_in, &address, limits.sign_in_limit, "sign-in");
        if by_address.retry_after.is_some() {
            return Ok(refuse(request, &by_address));
        }
        verdict = Some(by_address);
    }
    // A console page is the person of its session cookie (the API never reads the cookie).
    let console_session = path
        .starts_with("/console/")
        .then(|| request.cookie(crate::api::caller::CONSOLE_SESSION_COOKIE))
        .flatten()
        .map(|cookie| cookie.value().to_owned());
    let subject = match bearer_token(request.request())
        .map(str::to_owned)
        .or(console_session)
    {
        Some(token) => match authenticate(&state, token).await {
            Ok(caller) => {
                let key = caller.subject();
                request.extensions_mut().insert(caller);
                key
            }
            Err(_) => format!(
                "address:{}",
                address.map(|a| a.to_string()).unwrap_or_default()
            ),
        },
        None => format!(
            "address:{}",
            address.map(|a| a.to_string()).unwrap_or_default()
        ),
    };
    let by_subject = check(&limits.callers, &subject, limits.caller_limit, "caller");
    if by_subject.retry_after.is_some() {
        return Ok(refuse(request, &by_subject));
    }
    // The headers describe the tighter of the buckets that applied.
    let shown = match verdict {
        Some(by_address) if by_address.remaining < by_subject.remaining => by_address,
        _ => by_subject,
    };
    let mut response = next.call(request).await?.map_into_left_body();
    set_headers(response.headers_mut(), &shown);
    Ok(response)
}

fn refuse<B>(request: ServiceRequest, verdict: &Verdict) -> ServiceResponse<EitherBody<B>> {
    let error = ApiError::new(
        ErrorCode::RateLimited,
        format!(
            "Too many requests: at most {} a minute. Try again in {} s.",
            verdict.limit,
            verdict.retry_after.unwrap_or(1)
        ),
    );
    let mut response = error.error_response();
    set_headers(response.headers_mut(), verdict);
    request.into_response(response).map_into_right_body()
}

/// The caller's address: the peer's, unless the peer is a trusted proxy; then the nearest
/// address of the forwarding chain (`Forwarded: for=`, else `X-Forwarded-For`) that is not a
/// trusted proxy itself. A chain sent by anyone else is ignored: it is the caller's to forge.
pub fn caller_address(
    peer: IpAddr,
    headers: &actix_web::http::header::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all(actix_web::http::header::FORWARDED)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for")
                    .then(|| forwarded_address(value))?
            })
        })
        .collect();
    let chain = if forwarded.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(forwarded_address)
            .collect()
    } else {
        forwarded
    };
    chain
        .iter()
        .rev()
        .find(|address| !is_trusted(address))
        .or(chain.first())
        .copied()
        .unwrap_or(peer)
}

/// One address of a forwarding header: `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:80`.
fn forwarded_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(inside, _)| inside.parse().ok())
}

/// How long a test must wait for a bucket of `per_minute` to refill one request.
pub fn refill_interval(per_minute: u32) -> Duration {
    Duration::from_secs_f64(60.0 / f64::from(per_minute.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn the_forwarding_chain_is_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let outsider: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(caller_address(outsider, &forged, &trusted), outsider);
        assert_eq!(
            caller_address(proxy, &forged, &[]),
            proxy,
            "no proxy trusted"
        );
        assert_eq!(
            caller_address(proxy, &forged, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // The caller prepends a forged address: the nearest untrusted one is the real caller.
        let prepended = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.7")]);
        assert_eq!(
            caller_address(proxy, &prepended, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let standard = headers(&[(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.7",
        )]);
        assert_eq!(
            caller_address(proxy, &standard, &trusted),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(caller_address(proxy, &headers(&[]), &trusted), proxy);
    }
}
