//! Which address a request comes from: the peer's, or, when the peer is a
//! proxy the administrator trusts (a CDN, an anti-DDoS service, a load
//! balancer), the one that proxy says it forwarded. Only used as a key for
//! rate limits and connection caps; never logged unless asked.

use std::net::IpAddr;
use std::str::FromStr;

use http::HeaderMap;

/// One network in CIDR notation: `203.0.113.0/24`, `2001:db8::/32`, or a
/// single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a network like 203.0.113.0/24 or 2001:db8::/32");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let network = canonical(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// IPv4-mapped IPv6 addresses as IPv4, so one client has one key.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    canonical(ip)
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn new(networks: Vec<Cidr>) -> Self {
        Self(networks)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address for a request from `peer`: the peer itself
    /// unless it is trusted; then the nearest address in `Forwarded` (or,
    /// without it, `X-Forwarded-For`) that is not itself a trusted proxy.
    /// A header that does not parse is ignored: the peer is the client.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_for(headers).or_else(|| x_forwarded_for(headers));
        let Some(chain) = chain else { return peer };
        // Read from the nearest hop back: each trusted proxy appended the
        // address it saw, so the first untrusted one is the client (an
        // address further left could have been made up by the client).
        let mut client = peer;
        for ip in chain.into_iter().rev() {
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// Addresses in `X-Forwarded-For` headers, in order; `None` when absent
/// or when any entry is not an address.
fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut out = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        for part in value.to_str().ok()?.split(',') {
            out.push(canonical(parse_node(part.trim())?));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The `for=` addresses of `Forwarded` headers (RFC 7239), in order.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut out = Vec::new();
    for value in headers.get_all(http::header::FORWARDED) {
        for element in value.to_str().ok()?.split(',') {
            let Some(node) = element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                .map(|(_, v)| v.trim().trim_matches('"'))
            else {
                continue;
            };
            out.push(canonical(parse_node(node)?));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:80`, `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse().ok().or_else(|| node.rsplit_once(':').and_then(|(a, _)| a.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let net: Cidr = "203.0.113.0/24".parse().unwrap();
        assert!(net.contains(ip("203.0.113.77")));
        assert!(!net.contains(ip("203.0.114.1")));
        assert!(net.contains(ip("::ffff:203.0.113.5")), "IPv4-mapped addresses are IPv4");
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::9")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let one: Cidr = "10.0.0.1".parse().unwrap();
        assert!(one.contains(ip("10.0.0.1")) && !one.contains(ip("10.0.0.2")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "example.org", "10.0.0/8", "::/129", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_peers() {
        let proxies = TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("198.51.100.7"));
        // The same header from anyone else is the client's own claim.
        assert_eq!(proxies.client(ip("192.0.2.9"), &h), ip("192.0.2.9"));
        // A client cannot hide behind an address it made up: the nearest
        // untrusted hop counts.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.9.9.9")]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("198.51.100.7"));
        let h = headers(&[("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "198.51.100.8")]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("198.51.100.8"));
        // Forwarded wins over X-Forwarded-For, with ports and IPv6.
        let h = headers(&[
            ("forwarded", "for=\"[2001:db8::5]:4711\";proto=https, for=10.2.2.2"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("2001:db8::5"));
        // Rubbish is ignored: the proxy itself is the client.
        let h = headers(&[("x-forwarded-for", "unknown, <script>")]);
        assert_eq!(proxies.client(ip("10.1.2.3"), &h), ip("10.1.2.3"));
        assert_eq!(proxies.client(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"));
        assert_eq!(
            TrustedProxies::default().client(ip("10.1.2.3"), &headers(&[("x-forwarded-for", "1.2.3.4")])),
            ip("10.1.2.3")
        );
    }
}
