//! One connection: the protocol, the deadlines, and the request service
//! that hands requests to the router with the client's address attached.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt;

use crate::{Admitted, ClientAddr, Edge, TrustedProxies, Via};

/// The protocol a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Http1,
    Http2,
}

/// When bytes last moved and how many requests are being answered.
struct Activity {
    started: Instant,
    /// Milliseconds after `started` of the last byte read or written.
    last_byte: AtomicU64,
    /// Milliseconds after `started` of the last request's end (or start).
    last_request: AtomicU64,
    requests: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            last_byte: AtomicU64::new(0),
            last_request: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn since(&self, mark: &AtomicU64) -> Duration {
        Duration::from_millis(self.now().saturating_sub(mark.load(Ordering::Relaxed)))
    }
}

/// The request service of one connection.
#[derive(Clone)]
pub(crate) struct Handler {
    router: Router,
    via: Via,
    /// The client when it does not depend on the request (the onion
    /// socket, or a peer that is not a trusted proxy).
    client: IpAddr,
    peer: Option<SocketAddr>,
    proxies: Option<TrustedProxies>,
    activity: Arc<Activity>,
}

impl Handler {
    pub(crate) fn new(router: Router, via: Via, client: IpAddr, peer: Option<SocketAddr>, edge: &Edge) -> Self {
        let proxies = (peer.is_some() && edge.proxies.trusts(client)).then(|| edge.proxies.clone());
        Self { router, via, client, peer, proxies, activity: Arc::new(Activity::new()) }
    }
}

impl hyper::service::Service<http::Request<Incoming>> for Handler {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: http::Request<Incoming>) -> Self::Future {
        let mut request = request.map(axum::body::Body::new);
        let client = match &self.proxies {
            Some(proxies) => proxies.client(self.client, request.headers()),
            None => self.client,
        };
        let extensions = request.extensions_mut();
        extensions.insert(ClientAddr(client));
        extensions.insert(self.via);
        if let Some(peer) = self.peer {
            extensions.insert(ConnectInfo(peer));
        }
        let activity = self.activity.clone();
        activity.requests.fetch_add(1, Ordering::Relaxed);
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.last_request.store(activity.now(), Ordering::Relaxed);
        let answer = self.router.clone().oneshot(request);
        Box::pin(async move {
            let response = answer.await;
            activity.last_request.store(activity.now(), Ordering::Relaxed);
            activity.in_flight.fetch_sub(1, Ordering::AcqRel);
            response
        })
    }
}

/// The socket, noting when bytes move.
struct Tracked<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.last_byte.store(self.activity.now(), Ordering::Relaxed);
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.last_byte.store(self.activity.now(), Ordering::Relaxed);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.last_byte.store(self.activity.now(), Ordering::Relaxed);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A connection that can be asked to finish what it has and close.
trait Graceful: Future<Output = Result<(), hyper::Error>> {
    fn close_gracefully(self: Pin<&mut Self>);
}

impl<I, S> Graceful for hyper::server::conn::http1::Connection<I, S>
where
    S: hyper::service::HttpService<Incoming>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    fn close_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<I, S, E> Graceful for hyper::server::conn::http2::Connection<I, S, E>
where
    S: hyper::service::HttpService<Incoming>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, S::ResBody>,
{
    fn close_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// Serves one connection until it closes, a deadline passes or the edge
/// shuts down.
pub(crate) async fn run<I>(edge: Arc<Edge>, admitted: Admitted, io: I, proto: Proto, handler: Handler)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = handler.activity.clone();
    let io = TokioIo::new(Tracked { inner: io, activity: activity.clone() });
    let limits = edge.limits.clone();
    match proto {
        Proto::Http1 => {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(64 * 1024);
            drive(&edge, builder.serve_connection(io, handler), proto, &activity).await;
        }
        Proto::Http2 => {
            let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
            builder
                .timer(TokioTimer::new())
                .max_concurrent_streams(100)
                .max_header_list_size(64 * 1024)
                .max_pending_accept_reset_streams(50)
                .max_local_error_reset_streams(Some(256));
            drive(&edge, builder.serve_connection(io, handler), proto, &activity).await;
        }
    }
    drop(admitted);
}

async fn drive<C: Graceful>(edge: &Edge, connection: C, proto: Proto, activity: &Activity) {
    let limits = &edge.limits;
    let mut stop = edge.stop.subscribe();
    tokio::pin!(connection);
    let step = (limits.header_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + step, step);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Once asked to close, a connection gets this long to finish.
    let mut closing: Option<Instant> = None;
    let close_grace = limits.header_timeout.max(Duration::from_secs(5));
    if *stop.borrow() {
        connection.as_mut().close_gracefully();
        closing = Some(Instant::now());
    }
    loop {
        tokio::select! {
            finished = connection.as_mut() => {
                if let Err(e) = finished {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            changed = stop.changed(), if closing.is_none() => {
                if changed.is_ok() {
                    connection.as_mut().close_gracefully();
                    closing = Some(Instant::now());
                }
            }
            _ = tick.tick() => {
                if let Some(since) = closing {
                    if since.elapsed() > close_grace {
                        return;
                    }
                    continue;
                }
                let in_flight = activity.in_flight.load(Ordering::Acquire);
                let silent = activity.since(&activity.last_byte) > limits.idle_timeout;
                // HTTP/1.1's head deadline is hyper's; HTTP/2 gets the same
                // from here: a first request within the deadline, and no
                // connection kept without requests past the idle deadline.
                let no_first_request = proto == Proto::Http2
                    && activity.requests.load(Ordering::Relaxed) == 0
                    && activity.started.elapsed() > limits.header_timeout;
                let unused = proto == Proto::Http2
                    && in_flight == 0
                    && activity.since(&activity.last_request) > limits.idle_timeout;
                if silent || no_first_request {
                    // Nothing to finish gently: close now.
                    return;
                }
                if unused {
                    connection.as_mut().close_gracefully();
                    closing = Some(Instant::now());
                }
            }
        }
    }
}

/// Reads (without taking) the first bytes of a plain connection to tell
/// HTTP/2 with prior knowledge from HTTP/1.1; `None` when nothing usable
/// arrived within `deadline`.
pub(crate) async fn sniff(stream: &tokio::net::TcpStream, deadline: Duration) -> Option<Proto> {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let look = async {
        let mut buf = [0u8; 24];
        loop {
            let n = stream.peek(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            if buf[..n] != PREFACE[..n] {
                return Some(Proto::Http1);
            }
            if n == PREFACE.len() {
                return Some(Proto::Http2);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(deadline, look).await.ok().flatten()
}
