//! The one client for requests this server makes to other servers
//! (SECURITY.md rule 3): today the social sign-in providers (discovery,
//! keys, tokens, user info).
//!
//! Every request is checked before it leaves: https only, on port 443 (http
//! and any port only when loopback is allowed, which only tests turn on);
//! the host is resolved here and every address is checked (no private,
//! link-local, unique-local, loopback, multicast, unspecified, CGNAT,
//! documentation or metadata addresses, nor IPv4-mapped forms of them), and
//! the connection goes to the addresses checked (a literal address in the
//! URL is checked the same way); no redirects are followed; connecting
//! takes at most [`CONNECT_TIME`], a whole request [`REQUEST_TIME`], and a
//! body over [`MAX_BODY`] bytes is refused.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use openidconnect::{HttpRequest, HttpResponse};

/// Longest wait for a connection.
pub const CONNECT_TIME: Duration = Duration::from_secs(4);
/// Longest wait for a whole request and its answer.
pub const REQUEST_TIME: Duration = Duration::from_secs(8);
/// Largest answer accepted.
pub const MAX_BODY: usize = 1 << 20;

/// Why an outbound request failed.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    /// The URL or its addresses are not allowed (our rule, not the network).
    #[error("refused by the egress rules: {0}")]
    Refused(String),
    /// The other server did not answer usably: connection, timeout, TLS.
    #[error("no answer: {0}")]
    Unreachable(String),
    /// The answer was larger than [`MAX_BODY`].
    #[error("answer larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("could not build the request: {0}")]
    Build(String),
}

/// The outbound client. Cheap to clone.
#[derive(Clone)]
pub struct Egress {
    client: reqwest::Client,
    allow_loopback: bool,
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress")
            .field("allow_loopback", &self.allow_loopback)
            .finish()
    }
}

/// Whether an address may be connected to. Loopback only when
/// `allow_loopback` (tests); never private, link-local and the rest.
pub fn address_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_allowed(v4, allow_loopback),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_allowed(v4, allow_loopback);
            }
            if v6.is_loopback() {
                return allow_loopback;
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 too)
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0)) // IPv4-compatible
        }
    }
}

fn v4_allowed(v4: Ipv4Addr, allow_loopback: bool) -> bool {
    if v4.is_loopback() {
        return allow_loopback;
    }
    let o = v4.octets();
    !(v4.is_private()
        || v4.is_link_local() // 169.254.0.0/16, the cloud metadata address
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || o[0] >= 240)
}

/// A name resolved only to addresses the rules refuse: a refusal (never
/// worth trying again), told apart from a network failure by its type.
#[derive(Debug, thiserror::Error)]
#[error("{0} has no address we may connect to")]
struct NoAllowedAddress(String);

/// The egress error for a failed send: a refusal if the resolver refused.
fn send_error(e: &reqwest::Error) -> EgressError {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(n) = c.downcast_ref::<NoAllowedAddress>() {
            return EgressError::Refused(n.to_string());
        }
        cur = c.source();
    }
    EgressError::Unreachable(error_chain(e))
}

/// Resolves names for reqwest and keeps only allowed addresses, so the
/// connection goes to an address that was checked.
struct CheckedResolver {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| address_allowed(a.ip(), allow))
                .collect();
            if addrs.is_empty() {
                return Err(
                    Box::new(NoAllowedAddress(host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            let it: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(it)
        })
    }
}

impl Egress {
    /// The client. `allow_loopback` admits http and loopback addresses on
    /// any port: for tests against a provider on 127.0.0.1 only.
    pub fn new(allow_loopback: bool) -> Result<Egress, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIME)
            .timeout(REQUEST_TIME)
            .https_only(!allow_loopback)
            .dns_resolver(Arc::new(CheckedResolver { allow_loopback }))
            .user_agent("Broadsheet")
            .build()
            .map_err(|e| format!("outbound HTTP client: {e}"))?;
        Ok(Egress {
            client,
            allow_loopback,
        })
    }

    /// Whether a URL may be fetched: the scheme, the port, and a literal
    /// address (names are checked when they are resolved).
    pub fn check_url(&self, url: &url::Url) -> Result<(), EgressError> {
        let refuse = |why: &str| Err(EgressError::Refused(format!("{url}: {why}")));
        match url.scheme() {
            "https" => {}
            "http" if self.allow_loopback => {}
            _ => return refuse("only https URLs are fetched"),
        }
        if !self.allow_loopback && url.port_or_known_default() != Some(443) {
            return refuse("only port 443 is fetched");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("URLs with credentials are not fetched");
        }
        match url.host() {
            None => refuse("no host"),
            Some(url::Host::Ipv4(ip)) if !address_allowed(IpAddr::V4(ip), self.allow_loopback) => {
                refuse("that address is not public")
            }
            Some(url::Host::Ipv6(ip)) if !address_allowed(IpAddr::V6(ip), self.allow_loopback) => {
                refuse("that address is not public")
            }
            Some(_) => Ok(()),
        }
    }

    /// Sends one request (as the OpenID Connect client builds it) and reads
    /// the answer, within the rules above. A redirect is returned as it is
    /// (the callers treat it as a failure), never followed.
    pub async fn send(&self, req: HttpRequest) -> Result<HttpResponse, EgressError> {
        let url = url::Url::parse(&req.uri().to_string())
            .map_err(|e| EgressError::Build(format!("{}: {e}", req.uri())))?;
        self.check_url(&url)?;
        let (parts, body) = req.into_parts();
        let mut r = self
            .client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| send_error(&e))?;
        let mut out = openidconnect::http::Response::builder().status(r.status());
        for (k, v) in r.headers() {
            out = out.header(k, v);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = r
            .chunk()
            .await
            .map_err(|e| EgressError::Unreachable(error_chain(&e)))?
        {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(EgressError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        out.body(bytes)
            .map_err(|e| EgressError::Build(format!("response: {e}")))
    }
}

impl Egress {
    /// GETs a file (an agency's picture rendition) within the rules above,
    /// reading at most `max` bytes; a redirect or an error status is a
    /// failure. Returns the bytes and the declared content type.
    pub async fn get_file(&self, url: &str, max: usize) -> Result<(Vec<u8>, String), EgressError> {
        let url = url::Url::parse(url).map_err(|e| EgressError::Build(format!("{url}: {e}")))?;
        self.check_url(&url)?;
        let mut r = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| send_error(&e))?;
        if !r.status().is_success() {
            return Err(EgressError::Unreachable(format!(
                "{url} answered {}",
                r.status()
            )));
        }
        let mime = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = r
            .chunk()
            .await
            .map_err(|e| EgressError::Unreachable(error_chain(&e)))?
        {
            if bytes.len() + chunk.len() > max {
                return Err(EgressError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((bytes, mime))
    }
}

/// The OpenID Connect client sends through the egress client. (A boxed,
/// `Send` future: a closure would not make the handlers' futures `Send`.)
impl<'c> openidconnect::AsyncHttpClient<'c> for Egress {
    type Error = EgressError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, EgressError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// An error with its causes, for the log.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_allowed() {
        for bad in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "127.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = bad.parse().expect("address");
            assert!(!address_allowed(ip, false), "{bad} allowed");
        }
        for good in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
            let ip: IpAddr = good.parse().expect("address");
            assert!(address_allowed(ip, false), "{good} refused");
        }
        assert!(address_allowed("127.0.0.1".parse().expect("ip"), true));
        assert!(!address_allowed("10.0.0.1".parse().expect("ip"), true));
    }

    #[test]
    fn only_https_on_443_is_fetched() -> Result<(), String> {
        let e = Egress::new(false)?;
        let ok = |u: &str| e.check_url(&url::Url::parse(u).expect("url")).is_ok();
        assert!(ok(
            "https://accounts.google.com/.well-known/openid-configuration"
        ));
        assert!(!ok("http://accounts.google.com/"));
        assert!(!ok("https://accounts.google.com:8443/"));
        assert!(!ok("https://127.0.0.1/"));
        assert!(!ok("https://[::1]/"));
        assert!(!ok("https://169.254.169.254/latest/meta-data"));
        assert!(!ok("https://user:pw@accounts.google.com/"));
        assert!(!ok("file:///etc/passwd"));
        let t = Egress::new(true)?;
        assert!(
            t.check_url(&url::Url::parse("http://127.0.0.1:4010/").expect("url"))
                .is_ok()
        );
        Ok(())
    }
}
