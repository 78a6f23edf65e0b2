//! Per-client token buckets: in memory (search, asked often and cheap),
//! or in the database for the public forms, so that servers sharing it
//! count together. Addresses are only keys: never logged, kept in the
//! database only as keyed hashes, and forgotten once their bucket is full
//! again (in memory) or after a day (in the database).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How many clients' worth of budget all onion readers share.
pub const ONION_SHARE: f64 = 20.0;

/// Allows `burst` requests at once and `per_minute` on average.
pub struct RateLimiter {
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    burst: f64,
    per_second: f64,
    shared: Option<Shared>,
}

/// Buckets kept in the database.
struct Shared {
    store: Arc<dyn refuge_core::ClientLimits>,
    key: [u8; 32],
    name: &'static str,
}

impl RateLimiter {
    /// `per_minute == 0` turns limiting off.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_minute) / 60.0,
            shared: None,
        }
    }

    /// Buckets in the database, as `name`, under addresses hashed with
    /// `key` (the same on every server). Call only off the async workers.
    pub fn shared(
        store: Arc<dyn refuge_core::ClientLimits>,
        key: [u8; 32],
        name: &'static str,
        per_minute: u32,
        burst: u32,
    ) -> Self {
        Self { shared: Some(Shared { store, key, name }), ..Self::new(per_minute, burst) }
    }

    /// Takes one token for `client`; `false` when it has none left. An
    /// IPv6 client counts by its /64; every onion reader shares one budget
    /// of [`ONION_SHARE`] clients' (they cannot be told apart, and each
    /// connection would otherwise be a new client).
    pub fn allow(&self, client: IpAddr) -> bool {
        if self.per_second <= 0.0 {
            return true;
        }
        let share = if refuge_edge::is_onion(client) { ONION_SHARE } else { 1.0 };
        let client = refuge_edge::client_key(client);
        let (burst, per_second) = (self.burst * share, self.per_second * share);
        // This server's own count first: a client flooding it is turned
        // away here, without a write to the database for each request.
        if !self.allow_here(client, burst, per_second) {
            return false;
        }
        if let Some(shared) = &self.shared {
            let key = refuge_core::digest::hmac_sha256_hex(&shared.key, format!("{}:{client}", shared.name).as_bytes());
            let now = time::OffsetDateTime::now_utc();
            let seconds = now.unix_timestamp() as f64 + f64::from(now.millisecond()) / 1000.0;
            match shared.store.take_token(&key, burst, per_second, seconds) {
                Ok(allowed) => return allowed,
                // Still limited: by this server alone until the database answers.
                Err(e) => tracing::error!(error = %e, "could not read a client's limit; counted here alone"),
            }
        }
        true
    }

    /// The bucket in this server's memory.
    fn allow_here(&self, client: IpAddr, burst: f64, per_second: f64) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 50_000 {
            let (full, rate) = (self.burst, self.per_second);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < full);
        }
        let (tokens, at) = buckets.entry(client).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_client_separately() {
        let limiter = RateLimiter::new(60, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(a)));
        assert!(!limiter.allow(a));
        assert!(limiter.allow(b));
        let off = RateLimiter::new(0, 1);
        assert!((0..100).all(|_| off.allow(a)));
    }

    /// A new IPv6 address for each request (a /64 holds 2^64 of them) is
    /// the same client; each onion connection (a new made-up address) is
    /// the same shared budget, larger than one client's.
    #[test]
    fn an_ipv6_slash_64_and_the_onion_socket_are_one_client_each() {
        let limiter = RateLimiter::new(60, 3);
        let in_64 = |n: u16| -> IpAddr { format!("2001:db8:1:2::{n:x}").parse().unwrap() };
        assert!((0..3).all(|n| limiter.allow(in_64(n))));
        assert!(!limiter.allow(in_64(99)), "the same /64");
        assert!(limiter.allow("2001:db8:1:3::1".parse().unwrap()), "another /64");
        let onion = |n: u128| IpAddr::V6(std::net::Ipv6Addr::from((0xfd00_u128 << 112) | n));
        assert!(refuge_edge::is_onion(onion(7)));
        let shared = (ONION_SHARE * 3.0) as u128;
        assert!((0..shared).all(|n| limiter.allow(onion(n))), "one budget of many clients");
        assert!(!limiter.allow(onion(shared + 1)), "but one budget, whatever the connection");
        assert!(limiter.allow("192.0.2.9".parse().unwrap()), "others keep theirs");
    }
}
