//! Certificates from an ACME certificate authority (Let's Encrypt by
//! default): an account made once and kept, HTTP-01 challenges answered
//! on the plain-HTTP listener, the certificate kept in the cache folder
//! and renewed in the background before it runs out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode, Uri, header};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};

use crate::EdgeError;
use crate::tls::CertStore;

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// How to obtain certificates.
#[derive(Clone, Debug)]
pub struct AcmeSettings {
    /// The names the certificate covers; the first is the main one.
    pub domains: Vec<String>,
    /// An address the CA may write to about the certificates.
    pub contact: Option<String>,
    /// The CA's directory URL.
    pub directory: String,
    /// Where the account key and the certificate are kept.
    pub cache: PathBuf,
    /// A root certificate (PEM) to trust for the CA's own address, for a
    /// private or test CA; `None`: the system's roots.
    pub ca_root: Option<PathBuf>,
    /// Renew this many days before the end (or at two thirds of a shorter
    /// certificate's life).
    pub renew_days: u32,
}

/// Answers to HTTP-01 challenges in progress, by token.
#[derive(Debug, Default)]
pub struct Challenges(Mutex<HashMap<String, String>>);

impl Challenges {
    fn set(&self, token: &str, answer: Option<String>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match answer {
            Some(a) => map.insert(token.to_owned(), a),
            None => map.remove(token),
        };
    }

    fn get(&self, token: &str) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(token).cloned()
    }
}

/// Obtains and renews the certificate of [`AcmeSettings`] into a
/// [`CertStore`].
pub struct Acme {
    settings: AcmeSettings,
    certs: Arc<CertStore>,
    challenges: Arc<Challenges>,
}

impl Acme {
    pub fn new(settings: AcmeSettings, certs: Arc<CertStore>) -> Arc<Self> {
        Arc::new(Self { settings, certs, challenges: Arc::default() })
    }

    pub fn challenges(&self) -> Arc<Challenges> {
        self.challenges.clone()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.settings.cache.join(name)
    }

    /// Puts the kept certificate in use if it covers the domains and has
    /// not run out; whether it did.
    pub fn load_cached(&self) -> bool {
        let Ok(domains) = std::fs::read_to_string(self.file("certificate.domains")) else { return false };
        if domains.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>()
            != self.settings.domains.iter().map(String::as_str).collect::<Vec<_>>()
        {
            tracing::info!("the kept certificate is for other domains: a new one will be obtained");
            return false;
        }
        let (Ok(chain), Ok(key)) =
            (std::fs::read(self.file("certificate.pem")), std::fs::read(self.file("certificate.key")))
        else {
            return false;
        };
        match self.certs.set_pem(&chain, &key) {
            Ok(not_after) if not_after > crate::now() => {
                tracing::info!(valid_until = %crate::when(not_after), "certificate loaded from the cache");
                true
            }
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(error = %e, "the kept certificate cannot be used: a new one will be obtained");
                false
            }
        }
    }

    /// When the certificate in use should be renewed (seconds since 1970);
    /// now when there is none.
    fn renew_at(&self) -> i64 {
        let Some((not_before, not_after)) = self.certs.validity() else { return 0 };
        let window = (i64::from(self.settings.renew_days) * 86_400).min((not_after - not_before) / 3);
        not_after - window
    }

    /// Keeps a valid certificate in the store, for ever: obtains one now
    /// when there is none, renews it when due, retries failures with a
    /// growing pause (1 minute up to 6 hours).
    pub async fn run(self: Arc<Self>) {
        let mut pause = Duration::from_secs(60);
        loop {
            let wait = self.renew_at() - crate::now();
            if wait > 0 {
                // Wake at least twice a day, so a changed clock or a
                // certificate replaced by hand is noticed.
                tokio::time::sleep(Duration::from_secs(wait.min(12 * 3600) as u64)).await;
                continue;
            }
            match self.obtain().await {
                Ok(not_after) => {
                    tracing::info!(
                        domains = %self.settings.domains.join(", "),
                        valid_until = %crate::when(not_after),
                        "certificate obtained and in use"
                    );
                    pause = Duration::from_secs(60);
                }
                Err(e) => {
                    let still = self.certs.not_after().filter(|t| *t > crate::now());
                    match still {
                        Some(t) => {
                            tracing::error!(error = %e, valid_until = %crate::when(t), retry_in_seconds = pause.as_secs(),
                            "could not renew the certificate; the current one stays in use")
                        }
                        None => tracing::error!(error = %e, retry_in_seconds = pause.as_secs(),
                            "could not obtain a certificate, so HTTPS cannot be served yet: check that the domains \
                             point to this server and that port 80 (http_addr) is reachable from the internet"),
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 4).min(Duration::from_secs(6 * 3600));
                }
            }
        }
    }

    async fn account(&self) -> Result<Account, EdgeError> {
        let directory = &self.settings.directory;
        let builder = || match &self.settings.ca_root {
            Some(root) => Account::builder_with_root(root),
            None => Account::builder(),
        };
        let acme = |what: &str, e: instant_acme::Error| EdgeError::Acme(format!("{what} ({directory}): {e}"));
        let path = self.file(&format!("account-{}.json", file_safe(directory)));
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(credentials) = serde_json::from_str::<AccountCredentials>(&text)
        {
            let builder = builder().map_err(|e| acme("cannot reach the CA", e))?;
            return builder.from_credentials(credentials).await.map_err(|e| acme("the kept account was refused", e));
        }
        let contact = self.settings.contact.as_ref().map(|c| format!("mailto:{c}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
        let (account, credentials) = builder()
            .map_err(|e| acme("cannot reach the CA", e))?
            .create(&new, directory.clone(), None)
            .await
            .map_err(|e| acme("could not create an account", e))?;
        let json = serde_json::to_vec_pretty(&credentials).map_err(|e| EdgeError::Acme(e.to_string()))?;
        write_private(&path, &json)?;
        tracing::info!(directory = %directory, "ACME account created");
        Ok(account)
    }

    /// Orders a certificate for the domains now, answering the CA's
    /// HTTP-01 challenges, and puts it in use; returns its end.
    pub async fn obtain(&self) -> Result<i64, EdgeError> {
        std::fs::create_dir_all(&self.settings.cache)?;
        let account = self.account().await?;
        let fail = |what: &str, e: instant_acme::Error| EdgeError::Acme(format!("{what}: {e}"));
        let identifiers: Vec<Identifier> = self.settings.domains.iter().cloned().map(Identifier::Dns).collect();
        let mut order =
            account.new_order(&NewOrder::new(&identifiers)).await.map_err(|e| fail("the order was refused", e))?;
        let mut tokens = Vec::new();
        let answered = async {
            let mut authorizations = order.authorizations();
            while let Some(authorization) = authorizations.next().await {
                let mut authorization = authorization.map_err(|e| fail("could not read an authorization", e))?;
                match authorization.status {
                    AuthorizationStatus::Pending => {}
                    AuthorizationStatus::Valid => continue,
                    other => {
                        return Err(EdgeError::Acme(format!(
                            "the CA's authorization for {} is {other:?}",
                            authorization.identifier()
                        )));
                    }
                }
                let name = authorization.identifier().to_string();
                let mut challenge = authorization
                    .challenge(ChallengeType::Http01)
                    .ok_or_else(|| EdgeError::Acme(format!("the CA offers no HTTP-01 challenge for {name}")))?;
                self.challenges.set(&challenge.token, Some(challenge.key_authorization().as_str().to_owned()));
                tokens.push(challenge.token.clone());
                challenge.set_ready().await.map_err(|e| fail("the CA did not take the challenge", e))?;
            }
            Ok::<_, EdgeError>(())
        }
        .await;
        let ready = match answered {
            Ok(()) => order
                .poll_ready(&RetryPolicy::new().timeout(Duration::from_secs(120)))
                .await
                .map_err(|e| fail("the CA did not validate the domains", e)),
            Err(e) => Err(e),
        };
        for token in &tokens {
            self.challenges.set(token, None);
        }
        let status = ready?;
        if status != OrderStatus::Ready {
            let problem = order.state().error.as_ref().map(|p| format!(": {p}")).unwrap_or_default();
            return Err(EdgeError::Acme(format!(
                "the CA could not check that this server answers for {} ({status:?}){problem}",
                self.settings.domains.join(", ")
            )));
        }
        let key_pem = order.finalize().await.map_err(|e| fail("the CA refused the certificate request", e))?;
        let chain_pem = order
            .poll_certificate(&RetryPolicy::new().timeout(Duration::from_secs(120)))
            .await
            .map_err(|e| fail("the CA did not issue the certificate", e))?;
        let not_after = self.certs.set_pem(chain_pem.as_bytes(), key_pem.as_bytes())?;
        write_private(&self.file("certificate.key"), key_pem.as_bytes())?;
        std::fs::write(self.file("certificate.pem"), chain_pem.as_bytes())?;
        std::fs::write(self.file("certificate.domains"), self.settings.domains.join("\n") + "\n")?;
        Ok(not_after)
    }
}

/// A file only its owner may read, written whole or not at all.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), EdgeError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let part = path.with_extension("part");
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&part)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&part, path)?;
    Ok(())
}

fn file_safe(url: &str) -> String {
    let host = url.split_once("://").map_or(url, |(_, r)| r).split('/').next().unwrap_or_default();
    host.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

/// The plain-HTTP listener when HTTPS is on: answers ACME challenges and
/// sends everything else to the same address over HTTPS.
#[derive(Clone)]
struct Redirect {
    challenges: Option<Arc<Challenges>>,
    domains: Arc<Vec<String>>,
    /// The HTTPS port when it is not 443.
    port: Option<u16>,
}

/// The router of the plain-HTTP listener: `/.well-known/acme-challenge/*`
/// from `challenges`, everything else redirected (301) to HTTPS on one
/// of `domains` (the one asked for, else the first).
pub fn redirect_router(challenges: Option<Arc<Challenges>>, domains: Vec<String>, https_port: u16) -> Router {
    let state = Redirect { challenges, domains: Arc::new(domains), port: (https_port != 443).then_some(https_port) };
    Router::new()
        .route("/.well-known/acme-challenge/{token}", axum::routing::get(challenge))
        .fallback(redirect)
        .with_state(state)
}

async fn challenge(State(state): State<Redirect>, UrlPath(token): UrlPath<String>) -> Response {
    match state.challenges.as_ref().and_then(|c| c.get(&token)) {
        Some(answer) => ([(header::CONTENT_TYPE, "application/octet-stream")], answer).into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "Not found\n")
            .into_response(),
    }
}

async fn redirect(State(state): State<Redirect>, uri: Uri, headers: HeaderMap) -> Response {
    let asked = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.rsplit_once(':').map_or(h, |(host, _)| host).to_ascii_lowercase());
    // Only ever to one of the site's own names: the Host header is the
    // client's to write.
    let host = asked
        .filter(|h| state.domains.iter().any(|d| d.eq_ignore_ascii_case(h)))
        .or_else(|| state.domains.first().cloned())
        .unwrap_or_default();
    let port = state.port.map(|p| format!(":{p}")).unwrap_or_default();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let target = format!("https://{host}{port}{path}");
    let mut response =
        (StatusCode::MOVED_PERMANENTLY, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{target}\n"))
            .into_response();
    if let Ok(value) = http::HeaderValue::from_str(&target) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn get(router: &Router, host: &str, path: &str) -> (StatusCode, String, String) {
        let request = http::Request::get(path).header("host", host).body(axum::body::Body::empty()).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let location =
            response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, location, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn plain_http_answers_challenges_and_redirects_only_to_the_sites_names() {
        let challenges = Arc::new(Challenges::default());
        challenges.set("tok-1", Some("tok-1.thumb".into()));
        let domains = vec!["example.org".to_owned(), "www.example.org".to_owned()];
        let router = redirect_router(Some(challenges.clone()), domains, 443);
        let (status, _, body) = get(&router, "example.org", "/.well-known/acme-challenge/tok-1").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "tok-1.thumb"));
        assert_eq!(get(&router, "example.org", "/.well-known/acme-challenge/other").await.0, StatusCode::NOT_FOUND);
        let (status, location, _) = get(&router, "www.example.org:80", "/en/news/?page=2").await;
        assert_eq!(status, StatusCode::MOVED_PERMANENTLY);
        assert_eq!(location, "https://www.example.org/en/news/?page=2");
        let (_, location, _) = get(&router, "evil.example", "/x").await;
        assert_eq!(location, "https://example.org/x", "never to a name the site does not have");
        let other_port = redirect_router(None, vec!["example.org".into()], 8443);
        assert_eq!(get(&other_port, "example.org", "/").await.1, "https://example.org:8443/");
        challenges.set("tok-1", None);
        assert_eq!(get(&router, "example.org", "/.well-known/acme-challenge/tok-1").await.0, StatusCode::NOT_FOUND);
    }
}
