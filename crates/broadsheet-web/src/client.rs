//! The client's address, read only through the configured proxy hops.
//!
//! Behind `N` trusted reverse proxies, each appends the address it received
//! the request from to `X-Forwarded-For`, so the client is the `N`th entry
//! from the right; anything further left was written by the client and is
//! never believed (SECURITY.md rule 9). With no proxy (`N = 0`, the default)
//! the TCP peer is the client and `X-Forwarded-For` is ignored. Rate limits,
//! view caps and sign-in throttling all key on [`ClientIp`].

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

use crate::Web;

/// The client address of a request (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

/// Reads the client address: the peer when `hops` is 0, else the `hops`th
/// `X-Forwarded-For` entry from the right (several headers are read as one
/// list, in order). A list shorter than `hops`, or an entry that is not an
/// address, falls back to the leftmost address a trusted proxy could have
/// written, then to the peer.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, hops: usize) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    // Only the last `hops` entries were written by our proxies.
    let trusted = &entries[entries.len().saturating_sub(hops)..];
    trusted
        .first()
        .and_then(|s| parse_ip(s))
        .or_else(|| trusted.iter().find_map(|s| parse_ip(s)))
        .unwrap_or(peer)
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    // Accept "1.2.3.4", "1.2.3.4:5678", "[::1]:5678" and "::1".
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    s.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// The client address of a request (its connection's peer and its headers)
/// through the paper's configured proxy hops: what [`ClientIp`] extracts,
/// for the fast path (`fast.rs`), which answers before extractors run.
pub(crate) fn client_of(web: &Web, extensions: &Extensions, headers: &HeaderMap) -> IpAddr {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    client_ip(headers, peer, web.app.config().trusted_proxy_hops)
}

impl FromRequestParts<Web> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_of(web, &parts.extensions, &parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

    #[test]
    fn no_proxy_means_the_peer_whatever_the_header_says() {
        assert_eq!(client_ip(&xff(&["203.0.113.9"]), Some(PEER), 0), PEER);
    }

    #[test]
    fn one_hop_takes_the_rightmost_entry_not_the_forged_ones() {
        let h = xff(&["1.1.1.1, 66.249.66.1, 198.51.100.7"]);
        assert_eq!(
            client_ip(&h, Some(PEER), 1),
            "198.51.100.7".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn two_hops_across_two_headers() {
        let h = xff(&["6.6.6.6, 198.51.100.7", "192.0.2.1"]);
        assert_eq!(
            client_ip(&h, Some(PEER), 2),
            "198.51.100.7".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn short_or_missing_list_falls_back() {
        assert_eq!(client_ip(&HeaderMap::new(), Some(PEER), 1), PEER);
        let h = xff(&["198.51.100.7"]);
        assert_eq!(
            client_ip(&h, Some(PEER), 3),
            "198.51.100.7".parse::<IpAddr>().expect("ip")
        );
        let h = xff(&["garbage"]);
        assert_eq!(client_ip(&h, Some(PEER), 1), PEER);
        let h = xff(&["[2001:db8::1]:443"]);
        assert_eq!(
            client_ip(&h, Some(PEER), 1),
            "2001:db8::1".parse::<IpAddr>().expect("ip")
        );
    }
}
