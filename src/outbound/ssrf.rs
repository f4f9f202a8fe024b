//! Where deliveries may go: never to loopback, private, link-local, unspecified or otherwise
//! internal addresses (SSRF), unless the hub allows it (`CDB_WEBHOOKS_ALLOW_PRIVATE`). A name is
//! resolved and every address checked, at creation and again at each delivery, through the
//! HTTP client's own resolver so that the address connected to is the one checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::WebhookSettings;

/// Why an endpoint URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not a URL.
    #[error("not a URL: {0}")]
    Invalid(String),
    /// Not https (or http when allowed).
    #[error("the URL must use https")]
    Scheme,
    /// Credentials in the URL would be stored and logged with it.
    #[error("the URL must not hold credentials")]
    Credentials,
    /// No host name.
    #[error("the URL has no host")]
    NoHost,
    /// The name does not resolve.
    #[error("{host} does not resolve: {reason}")]
    Unresolvable {
        /// The host.
        host: String,
        /// The resolver's answer.
        reason: String,
    },
    /// An address of the host is internal.
    #[error("{host} resolves to {address}, a loopback, private, link-local or reserved address")]
    Internal {
        /// The host.
        host: String,
        /// The refused address.
        address: IpAddr,
    },
}

/// Whether an address is internal: loopback, private, link-local, unspecified, shared (CGNAT),
/// multicast, broadcast, reserved or documentation ranges, and IPv6 forms embedding one.
pub fn is_internal(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible form (::a.b.c.d) embed an IPv4.
    let embedded = Ipv4Addr::new(
        (segments[6] >> 8) as u8,
        segments[6] as u8,
        (segments[7] >> 8) as u8,
        segments[7] as u8,
    );
    if (segments[0] == 0x64 && segments[1] == 0xff9b && segments[2..6] == [0, 0, 0, 0])
        || (segments[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified())
    {
        return is_internal_v4(embedded);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xffc0) == 0xfec0
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
}

/// Parses an endpoint URL and checks its scheme, then resolves its host and checks every
/// address (unless private addresses are allowed).
pub async fn check_url(text: &str, settings: &WebhookSettings) -> Result<Url, UrlError> {
    let url = Url::parse(text.trim()).map_err(|e| UrlError::Invalid(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if settings.allow_http => {}
        _ => return Err(UrlError::Scheme),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    let host = url.host_str().ok_or(UrlError::NoHost)?.to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| UrlError::Unresolvable {
                host: host.clone(),
                reason: e.to_string(),
            })?
            .map(|socket| socket.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(UrlError::Unresolvable {
            host,
            reason: "no address".into(),
        });
    }
    if !settings.allow_private
        && let Some(address) = addresses.into_iter().find(|ip| is_internal(*ip))
    {
        return Err(UrlError::Internal { host, address });
    }
    Ok(url)
}

/// The HTTP client's resolver: refuses a name when one of its addresses is internal.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// Whether internal addresses are allowed.
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private && let Some(bad) = found.iter().find(|a| is_internal(a.ip())) {
                let error: Box<dyn std::error::Error + Send + Sync> =
                    Box::new(UrlError::Internal {
                        host,
                        address: bad.ip(),
                    });
                return Err(error);
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver as the HTTP client takes it.
pub fn resolver(allow_private: bool) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver { allow_private })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_internal(text.parse().unwrap()), "{text}");
        }
        for text in ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34"] {
            assert!(!is_internal(text.parse().unwrap()), "{text}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_before_any_request() {
        let strict = WebhookSettings::default();
        assert_eq!(
            check_url("http://93.184.216.34/hook", &strict).await,
            Err(UrlError::Scheme)
        );
        assert!(matches!(
            check_url("https://127.0.0.1/hook", &strict).await,
            Err(UrlError::Internal { .. })
        ));
        assert!(matches!(
            check_url("https://[::1]:8443/hook", &strict).await,
            Err(UrlError::Internal { .. })
        ));
        assert!(matches!(
            check_url("https://localhost/hook", &strict).await,
            Err(UrlError::Internal { .. })
        ));
        assert_eq!(
            check_url("https://user:pw@93.184.216.34/", &strict).await,
            Err(UrlError::Credentials)
        );
        assert!(
            check_url("https://93.184.216.34/hook", &strict)
                .await
                .is_ok()
        );
        let open = WebhookSettings {
            allow_private: true,
            allow_http: true,
        };
        assert!(check_url("http://127.0.0.1:9/hook", &open).await.is_ok());
    }
}
