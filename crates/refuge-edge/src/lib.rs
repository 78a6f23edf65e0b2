//! The edge of the server: where connections arrive and are held to
//! limits before the application sees a request.
//!
//! - Listeners: TCP (plain or TLS) and a Unix socket (for Tor's onion
//!   service). HTTP/1.1 everywhere; HTTP/2 over TLS when the client offers
//!   it by ALPN, and over plain TCP only when asked (`h2c`).
//! - Limits: a deadline for a request's head (and for the TLS handshake),
//!   a deadline for connections where no byte moves, and caps on
//!   connections per client address and in all.
//! - The client's address for rate limits: the peer's, or the one a
//!   trusted proxy forwarded ([`proxy::TrustedProxies`]). It reaches
//!   handlers as [`ClientAddr`]; nothing here logs it.
//! - Certificates ([`tls`]) from files or from an ACME CA ([`acme`]),
//!   renewed in the background and used without a restart.

pub mod acme;
mod conn;
pub mod proxy;
pub mod tls;

#[cfg(feature = "testing")]
pub mod testing;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRequestParts;
use http::request::Parts;
use tokio::net::{TcpListener, TcpStream, UnixListener};
use tokio::sync::watch;

pub use conn::Proto;
pub use proxy::{Cidr, TrustedProxies};
pub use tokio_rustls::TlsAcceptor;

/// What can go wrong at the edge.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("{0}")]
    Certificate(String),
    #[error("ACME: {0}")]
    Acme(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The address a request is counted under: the client's as far as the
/// edge can tell (see [`TrustedProxies::client`]). For the onion socket,
/// where every reader arrives from Tor, each connection gets an address of
/// its own in `fd00::/8`, so one reader's limit is not everyone's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientAddr>().copied().unwrap_or(ClientAddr(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// Which listener a request came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Http,
    Https,
    Onion,
}

/// The limits every connection is held to.
#[derive(Clone, Debug)]
pub struct Limits {
    /// A request's head (and a TLS handshake) must have arrived this long
    /// after the connection is ready for it, or it is closed. For HTTP/1.1
    /// this also ends kept-alive connections that send nothing more.
    pub header_timeout: Duration,
    /// A connection where no byte moved either way for this long is closed
    /// (a client that stopped reading, or stopped sending a body); so is an
    /// HTTP/2 connection with no request for this long.
    pub idle_timeout: Duration,
    /// Connections open at once, in all; more are closed at once.
    pub max_connections: usize,
    /// Connections open at once from one address (not counted for trusted
    /// proxies, nor on the onion socket).
    pub max_per_client: usize,
    /// Offer HTTP/2 without TLS (prior knowledge) on plain TCP.
    pub h2c: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 8192,
            max_per_client: 128,
            h2c: false,
        }
    }
}

/// Shared by every listener of one server: limits, the connection counts,
/// and the signal to stop.
pub struct Edge {
    limits: Limits,
    proxies: TrustedProxies,
    open: AtomicUsize,
    per_client: Mutex<HashMap<IpAddr, usize>>,
    refused: AtomicU64,
    onion_next: AtomicU64,
    stop: watch::Sender<bool>,
    drained: tokio::sync::Notify,
}

impl Edge {
    pub fn new(limits: Limits, proxies: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            limits,
            proxies,
            open: AtomicUsize::new(0),
            per_client: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
            onion_next: AtomicU64::new(1),
            stop: watch::channel(false).0,
            drained: tokio::sync::Notify::new(),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Connections closed at once because a cap was reached, so far.
    pub fn refused_connections(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Stops accepting, asks every connection to finish its requests and
    /// close, and waits up to `grace` for them.
    pub async fn shutdown(&self, grace: Duration) {
        self.stop.send_replace(true);
        let wait = async {
            loop {
                let drained = self.drained.notified();
                if self.open.load(Ordering::Acquire) == 0 {
                    return;
                }
                drained.await;
            }
        };
        if tokio::time::timeout(grace, wait).await.is_err() {
            tracing::warn!(open = self.open_connections(), "connections still open at shutdown were closed");
        }
    }

    /// Counts a new connection from `client` (`None`: not capped per
    /// client); `None` when a cap says no.
    fn admit(self: &Arc<Self>, client: Option<IpAddr>) -> Option<Admitted> {
        if self.open.fetch_add(1, Ordering::AcqRel) >= self.limits.max_connections {
            self.release_count();
            self.refuse("the cap on connections in all (max_connections) was reached");
            return None;
        }
        if let Some(ip) = client {
            let mut map = self.per_client.lock().unwrap_or_else(|e| e.into_inner());
            let n = map.entry(ip).or_insert(0);
            if *n >= self.limits.max_per_client {
                drop(map);
                self.release_count();
                self.refuse("a client reached the cap on its connections (max_connections_per_client)");
                return None;
            }
            *n += 1;
        }
        Some(Admitted { edge: self.clone(), client })
    }

    fn release_count(&self) {
        if self.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.drained.notify_waiters();
        }
    }

    fn refuse(&self, why: &'static str) {
        // One line per thousand, without the address: enough to notice.
        if self.refused.fetch_add(1, Ordering::Relaxed).is_multiple_of(1000) {
            tracing::warn!(refused = self.refused_connections(), "connection refused: {why}");
        }
    }

    fn onion_client(&self) -> IpAddr {
        let n = self.onion_next.fetch_add(1, Ordering::Relaxed);
        IpAddr::V6(Ipv6Addr::from(ONION_PREFIX | u128::from(n)))
    }
}

/// The addresses made up for the onion socket's connections (one each,
/// within `fd00::/64`): every onion reader shares [`client_key`]'s one key.
const ONION_PREFIX: u128 = 0xfd00_u128 << 112;

/// The key a client's limits are kept under: an IPv4 address as it is; an
/// IPv6 address by its /64, which one subscriber or machine usually holds
/// whole (so a client cannot take a new address for each request); every
/// onion reader under one key (see [`is_onion`]).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX)))
        }
        other => other,
    }
}

/// Whether `ip` is a reader on the onion socket (or the key all of them
/// share), whose limits are one shared budget.
pub fn is_onion(ip: IpAddr) -> bool {
    matches!(client_key(ip), IpAddr::V6(v6) if u128::from(v6) == ONION_PREFIX)
}

/// A counted connection; uncounted when dropped.
struct Admitted {
    edge: Arc<Edge>,
    client: Option<IpAddr>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some(ip) = self.client {
            let mut map = self.edge.per_client.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = map.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&ip);
                }
            }
        }
        self.edge.release_count();
    }
}

/// A socket to serve on.
pub enum Listener {
    Tcp(TcpListener),
    /// A Unix socket, removed again when serving ends.
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds a Unix socket at `path` (a stale one left by a crash is
    /// replaced), readable and writable by its owner and group only.
    pub fn unix(path: &std::path::Path) -> std::io::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("another program is serving on {}", path.display()),
            ));
        }
        // No one answers on it (checked above): a stale socket of an
        // earlier run, or none; binding says if the path is unusable.
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
        Ok(Self::Unix(listener, path.to_owned()))
    }
}

/// What one listener serves: the application's router, how requests
/// arrived, and the TLS settings when it speaks TLS.
#[derive(Clone)]
pub struct Service {
    pub router: Router,
    pub via: Via,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Accepts connections on `listener` until the edge is shut down.
pub async fn serve(edge: Arc<Edge>, listener: Listener, service: Service) -> std::io::Result<()> {
    let mut stop = edge.stop.subscribe();
    let result = loop {
        if *stop.borrow() {
            break Ok(());
        }
        match &listener {
            Listener::Tcp(tcp) => tokio::select! {
                accepted = tcp.accept() => match accepted {
                    Ok((stream, peer)) => tcp_connection(&edge, stream, peer, &service),
                    Err(e) => accept_error(e).await,
                },
                _ = stop.changed() => break Ok(()),
            },
            Listener::Unix(unix, _) => tokio::select! {
                accepted = unix.accept() => match accepted {
                    Ok((stream, _)) => {
                        let Some(admitted) = edge.admit(None) else { continue };
                        let client = edge.onion_client();
                        let handler = conn::Handler::new(service.router.clone(), service.via, client, false, &edge);
                        tokio::spawn(conn::run(edge.clone(), admitted, stream, Proto::Http1, handler));
                    }
                    Err(e) => accept_error(e).await,
                },
                _ = stop.changed() => break Ok(()),
            },
        }
    };
    if let Listener::Unix(_, path) = &listener {
        // This server's own socket, closed now; one left over is removed
        // at the next start.
        let _ = std::fs::remove_file(path);
    }
    result
}

fn tcp_connection(edge: &Arc<Edge>, stream: TcpStream, peer: SocketAddr, service: &Service) {
    let ip = proxy::canonical_ip(peer.ip());
    // Connections are capped per client key (an IPv6 /64).
    let capped = (!edge.proxies.trusts(ip)).then_some(client_key(ip));
    let Some(admitted) = edge.admit(capped) else { return };
    // Latency only: the connection works the same without it.
    let _ = stream.set_nodelay(true);
    let handler = conn::Handler::new(service.router.clone(), service.via, ip, true, edge);
    let edge = edge.clone();
    let tls = service.tls.clone();
    tokio::spawn(async move {
        let limits = &edge.limits;
        match tls {
            Some(acceptor) => {
                let handshake = tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
                let Ok(Ok(tls)) = handshake else { return };
                let proto = match tls.get_ref().1.alpn_protocol() {
                    Some(b"h2") => Proto::Http2,
                    _ => Proto::Http1,
                };
                conn::run(edge.clone(), admitted, tls, proto, handler).await;
            }
            None if limits.h2c => {
                let Some(proto) = conn::sniff(&stream, limits.header_timeout).await else { return };
                conn::run(edge.clone(), admitted, stream, proto, handler).await;
            }
            None => conn::run(edge.clone(), admitted, stream, Proto::Http1, handler).await,
        }
    });
}

/// Out of file descriptors (or another passing failure): wait a moment
/// rather than spin.
async fn accept_error(e: std::io::Error) {
    tracing::error!(error = %e, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A moment in a log line: `2026-12-02 10:00 UTC`.
pub fn when(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil date from days since 1970 (the inverse of tls::days_from_civil).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// Seconds since 1970, now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_dates() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_767_225_600 + 3_600 * 25 + 60), "2026-01-02 01:01 UTC");
        assert_eq!(when(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn caps_count_and_release() {
        let edge =
            Edge::new(Limits { max_connections: 3, max_per_client: 2, ..Limits::default() }, TrustedProxies::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = edge.admit(Some(a)).unwrap();
        let second = edge.admit(Some(a)).unwrap();
        assert!(edge.admit(Some(a)).is_none(), "a third from the same address");
        let third = edge.admit(Some(b)).unwrap();
        assert!(edge.admit(Some(b)).is_none(), "over the cap in all");
        assert!(edge.admit(None).is_none());
        assert_eq!(edge.open_connections(), 3);
        assert_eq!(edge.refused_connections(), 3);
        drop(first);
        assert!(edge.admit(Some(a)).is_some(), "a place was freed");
        drop((second, third));
        assert_eq!(edge.open_connections(), 0);
        assert!(edge.per_client.lock().unwrap().is_empty(), "nothing kept per address once closed");
    }
}
