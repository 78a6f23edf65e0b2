//! One connection: the protocol, the deadlines, and the request service
//! that hands requests to the router with the client's address attached.

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt;

use crate::{Admitted, ClientAddr, Edge, TrustedProxies, Via};

/// The protocol a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Http1,
    Http2,
}

/// What a connection did since the last look: set cheaply on every read,
/// write and request (no clock, no timer), read by the connection's
/// watchdog a few times per deadline.
struct Activity {
    /// A byte was read or written since the last look.
    moved: AtomicBool,
    /// A request started or ended since the last look.
    asked: AtomicBool,
    /// Requests whose response is not yet written out (their body is
    /// dropped by hyper once sent).
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self { moved: AtomicBool::new(false), asked: AtomicBool::new(false), in_flight: AtomicUsize::new(0) }
    }
}

/// Ends a request's count when its response body is dropped: written
/// whole, or abandoned with the connection.
struct Answered(Arc<Activity>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.asked.store(true, Ordering::Relaxed);
    }
}

/// A response body that counts as in flight until it is dropped.
pub(crate) struct Counted {
    inner: axum::body::Body,
    _answered: Answered,
}

impl http_body::Body for Counted {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
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
    proxies: Option<TrustedProxies>,
    activity: Arc<Activity>,
}

impl Handler {
    /// `client` is the peer's address (`tcp`) or one made up for the
    /// onion socket's connection.
    pub(crate) fn new(router: Router, via: Via, client: IpAddr, tcp: bool, edge: &Edge) -> Self {
        let proxies = (tcp && edge.proxies.trusts(client)).then(|| edge.proxies.clone());
        Self { router, via, client, proxies, activity: Arc::new(Activity::new()) }
    }
}

impl hyper::service::Service<http::Request<Incoming>> for Handler {
    type Response = http::Response<Counted>;
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
        self.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        self.activity.asked.store(true, Ordering::Relaxed);
        let answered = Answered(self.activity.clone());
        let answer = self.router.clone().oneshot(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|inner| Counted { inner, _answered: answered }))
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
            self.activity.moved.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved.store(true, Ordering::Relaxed);
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
            self.activity.moved.store(true, Ordering::Relaxed);
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
    match proto {
        Proto::Http1 => {
            // The head deadline is the watchdog's (below), not hyper's:
            // hyper's arms a timer for every request.
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.max_buf_size(64 * 1024);
            drive(&edge, builder.serve_connection(io, handler), proto, &activity).await;
        }
        Proto::Http2 => {
            let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
            builder
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
    // When bytes last moved, and when the connection last started or
    // finished a request (its start counts as one).
    let (mut last_byte, mut last_request) = (Instant::now(), Instant::now());
    // Waiting for a request this long closes the connection: HTTP/1.1
    // waits for a head (a new connection's, or the next on a kept-alive
    // one); HTTP/2 may sit without requests until the idle deadline.
    let wait_for_request = match proto {
        Proto::Http1 => limits.header_timeout,
        Proto::Http2 => limits.idle_timeout,
    };
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
            now = tick.tick() => {
                let now = now.into_std();
                if let Some(since) = closing {
                    if now.duration_since(since) > close_grace {
                        return;
                    }
                    continue;
                }
                if activity.moved.swap(false, Ordering::Relaxed) {
                    last_byte = now;
                }
                if activity.asked.swap(false, Ordering::Relaxed) {
                    last_request = now;
                }
                let waiting = activity.in_flight.load(Ordering::Acquire) == 0;
                // Nothing moved either way (a client that stopped reading
                // or sending a body), or no request came in time (a head
                // sent slowly, or a kept-alive connection left unused):
                // nothing to finish, so close now.
                if now.duration_since(last_byte) > limits.idle_timeout
                    || (waiting && now.duration_since(last_request) > wait_for_request)
                {
                    return;
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
