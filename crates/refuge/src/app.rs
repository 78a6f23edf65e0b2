//! Start-up wiring: data folder, database, demo content, first account,
//! renderer, cache and router. `App::build` binds the port (0 for tests)
//! and reports the address; `App::run` serves until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use refuge_core::{Email, PublicContent, Role, UserReads};
use refuge_render::{PageCache, Site};
use refuge_search::{OpenState, SearchIndex};
use refuge_store::SqlStore;
use refuge_web::{AppState, SecurityConfig, WebConfig};
use tokio::net::TcpListener;

use crate::config::{self, Config};

/// The address of the account created on first start.
pub const FIRST_ADMIN: &str = "admin@refuge.local";

const THEME_README: &str = "Files here override Refuge's built-in theme.\n\n\
templates/NAME        replaces the built-in template of that name\n\
\x20                     (pages, feed.xml, sitemap.xml, robots.txt, export/*.html)\n\
locales/LANG.toml     overrides interface strings (and adds languages)\n\
static/style.css      replaces the style sheet\n\n\
Restart Refuge after changing them.\n";

/// Options of a start that are not settings.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// Start a new data folder empty instead of with the demo site.
    pub no_demo: bool,
    /// scrypt work factor (log2 N) for a new inbox key's passphrase;
    /// `None` is age's default. Tests use a small one.
    pub inbox_work_factor: Option<u8>,
}

/// Credentials created on a first start; shown once.
#[derive(Clone, Debug)]
pub struct FirstAccount {
    pub email: String,
    pub password: String,
}

/// The inbox passphrase created on a first start; shown once.
#[derive(Clone, Debug)]
pub struct FirstInbox {
    pub passphrase: String,
}

/// A built application, bound to its addresses but not yet serving.
pub struct App {
    listeners: Vec<(refuge_edge::Listener, refuge_edge::Service)>,
    edge: Arc<refuge_edge::Edge>,
    certificates: Option<Certificates>,
    /// The main address: HTTPS when `[tls]` is set, else plain HTTP.
    pub addr: SocketAddr,
    /// The plain-HTTP address beside HTTPS (ACME checks and redirects).
    pub http_addr: Option<SocketAddr>,
    /// The onion service's Unix socket.
    pub onion_socket: Option<std::path::PathBuf>,
    pub base_url: String,
    pub state: AppState,
    pub store: Arc<SqlStore>,
    /// Set when this start created the first account.
    pub first_account: Option<FirstAccount>,
    /// Set when this start created the inbox key pair.
    pub first_inbox: Option<FirstInbox>,
    /// Whether this start created the database (and the demo, unless `no_demo`).
    pub created: bool,
    /// Where the server starts following the change feed: read before the
    /// search index is checked, so nothing written in between is missed.
    follow_from: refuge_web::Cursor,
}

/// Where the HTTPS certificate comes from, kept current in the background.
enum Certificates {
    Acme(Arc<refuge_edge::acme::Acme>),
    Files(refuge_edge::tls::CertFiles, Arc<refuge_edge::tls::CertStore>),
}

/// What `/healthz` asks of HTTPS: a certificate loaded and current.
fn https_check(store: Arc<refuge_edge::tls::CertStore>) -> refuge_web::HttpsCheck {
    refuge_web::HttpsCheck(Arc::new(move || {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match store.validity() {
            None => Some("none yet (is the ACME CA reachable, and do the domains point here?)".into()),
            Some((_, until)) if until <= now => Some(format!("it expired on {}", refuge_edge::when(until))),
            Some((from, _)) if from > now => Some(format!("it is valid only from {}", refuge_edge::when(from))),
            Some(_) => None,
        }
    }))
}

/// Sets up HTTPS: the certificate store (filled from the files, or from
/// the ACME cache when it holds a current certificate) and the listener
/// for plain HTTP beside it.
async fn tls_setup(
    config: &Config,
    tls: &config::TlsFile,
    https_port: u16,
    base_url: &str,
) -> Result<(Certificates, refuge_edge::TlsAcceptor, TcpListener, axum::Router, Arc<refuge_edge::tls::CertStore>)> {
    use refuge_edge::tls::{CertFiles, CertStore};
    let store = CertStore::new();
    let in_data = |p: &std::path::Path| if p.is_absolute() { p.to_owned() } else { config.data_dir.join(p) };
    let (certificates, challenges) = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let files = CertFiles { cert: in_data(cert), key: in_data(key) };
            let not_after = files.load(&store).context("cannot use the certificate named in [tls]")?;
            tracing::info!(valid_until = %refuge_edge::when(not_after), "certificate loaded from its files");
            (Certificates::Files(files, store.clone()), None)
        }
        _ => {
            let settings = refuge_edge::acme::AcmeSettings {
                domains: tls.domains.clone(),
                contact: tls.contact.clone(),
                directory: tls.acme_directory.clone().unwrap_or_else(|| refuge_edge::acme::LETS_ENCRYPT.to_owned()),
                cache: in_data(tls.cache.as_deref().unwrap_or(std::path::Path::new("acme"))),
                ca_root: tls.ca_root.as_deref().map(in_data),
                renew_days: tls.renew_days.unwrap_or(30),
            };
            let acme = refuge_edge::acme::Acme::new(settings, store.clone());
            if !acme.load_cached() {
                tracing::info!(domains = %tls.domains.join(", "), "no certificate yet: asking the ACME CA for one");
            }
            let challenges = acme.challenges();
            (Certificates::Acme(acme), Some(challenges))
        }
    };
    let acceptor = refuge_edge::TlsAcceptor::from(refuge_edge::tls::server_config(store.clone())?);
    let http_addr = config.http_addr();
    let plain = TcpListener::bind(&http_addr).await.with_context(|| {
        format!(
            "cannot listen on {http_addr} for plain HTTP beside HTTPS: is another program using it, or is port 80 \
             not allowed to this user? Choose another with `http_addr` in refuge.toml"
        )
    })?;
    let mut domains = tls.domains.clone();
    if domains.is_empty() {
        domains.push(config::host_of(base_url));
    }
    let router = refuge_edge::acme::redirect_router(challenges, domains, https_port);
    Ok((certificates, acceptor, plain, router, store))
}

/// Says so in the log when others may read the data folder.
fn warn_if_open(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(dir)
            && meta.permissions().mode() & 0o007 != 0
        {
            tracing::warn!(
                folder = %dir.display(),
                "other accounts on this machine may read the data folder (it holds the database and keys); \
                 run `chmod 700` on it"
            );
        }
    }
    let _ = dir;
}

/// Opens (creating and filling if new) the data folder's database.
pub fn open_data(config: &Config, options: &StartOptions) -> Result<(Arc<SqlStore>, bool)> {
    let dir = &config.data_dir;
    // A new data folder is this account's only (0700): it holds the
    // database, the inbox key and the mail key.
    refuge_core::data_dir::create_private_dir(dir)
        .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    warn_if_open(dir);
    for sub in [dir.theme(), dir.media()] {
        std::fs::create_dir_all(&sub).with_context(|| format!("cannot create {}", sub.display()))?;
    }
    let readme = dir.theme().join("README.txt");
    if !readme.exists() {
        std::fs::write(&readme, THEME_README).with_context(|| format!("cannot write {}", readme.display()))?;
    }
    let settings = dir.config_file();
    // A new data folder gets the settings file with every option shown,
    // unless the settings live elsewhere (--config).
    if config.config_file == settings && !settings.exists() {
        std::fs::write(&settings, config::TEMPLATE).with_context(|| format!("cannot write {}", settings.display()))?;
    }
    let db_path = dir.database();
    let store = Arc::new(config.open_store()?);
    let created = store.created();
    // The demo fills a new SQLite file, for trying Refuge; a new
    // PostgreSQL database is a real site's, and starts empty.
    if created && !options.no_demo && !store.is_postgres() {
        if let Err(e) = crate::demo::fill(store.as_ref(), &config.languages) {
            drop(store);
            remove_database(&db_path);
            return Err(e.context(
                "could not fill the new data folder with the demo site; it was removed, so the next start tries again",
            ));
        }
        tracing::info!("new data folder filled with the demo site");
    }
    Ok((store, created))
}

/// Opens the search index, rebuilding it when it is missing, damaged, or
/// behind the database (say, after a crash between the two writes).
pub fn open_search(config: &Config, store: &SqlStore) -> Result<SearchIndex> {
    let (index, state) = SearchIndex::open(&config.data_dir.search())?;
    let current = store.change_stamp()?;
    let reason = match state {
        OpenState::Created(reason) => Some(reason),
        OpenState::Ready(stamp) if stamp.as_deref() != Some(current.as_str()) => Some("behind the database"),
        OpenState::Ready(_) => None,
    };
    if let Some(reason) = reason {
        let started = std::time::Instant::now();
        tracing::info!(reason, "rebuilding the search index");
        let n = refuge_search::rebuild_from_store(&index, store, &config.languages, |_, _| {})?;
        tracing::info!(documents = n, seconds = started.elapsed().as_secs_f32(), "search index rebuilt");
    }
    Ok(index)
}

/// This server's name in a shared outbox: made once and kept in its data
/// folder, so after a restart it knows the mails it was sending.
fn server_id(data: &refuge_core::DataDir) -> Result<String> {
    let path = data.join("server-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        _ => {
            let id = refuge_core::secret::random_hex(8);
            std::fs::write(&path, format!("{id}\n")).with_context(|| format!("cannot write {}", path.display()))?;
            Ok(id)
        }
    }
}

/// The key that signs forms shown before a session exists, the same on
/// every server sharing the database.
fn form_key(store: &SqlStore) -> Result<[u8; 32]> {
    let hex = refuge_core::SiteSecrets::shared_secret(store, "form")?;
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = hex
            .get(2 * i..2 * i + 2)
            .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            .context("the stored form key is damaged")?;
    }
    Ok(key)
}

fn remove_database(db_path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db_path.as_os_str().to_owned();
        p.push(suffix);
        // The WAL and shared-memory files exist only while open.
        let _ = std::fs::remove_file(p);
    }
}

impl App {
    /// Prepares everything and binds the listening socket.
    pub async fn build(config: Config, options: StartOptions) -> Result<Self> {
        let (store, created) = open_data(&config, &options)?;
        store.set_server_id(&server_id(&config.data_dir)?);
        let first_account = if store.user_count()? == 0 {
            let password = refuge_core::secret::password(20);
            let email = Email::parse(FIRST_ADMIN).map_err(anyhow::Error::msg)?;
            // Printed in a terminal (perhaps a log): replaced at first sign-in.
            let printed = true;
            match refuge_app::accounts::operator_adds(store.as_ref(), &email, Role::Admin, &[], &password, printed) {
                Ok(_) => Some(FirstAccount { email: FIRST_ADMIN.into(), password }),
                // Another server sharing the database made it a moment
                // ago, and printed its password.
                Err(refuge_app::AppError::Conflict(_)) => None,
                Err(e) => return Err(anyhow::anyhow!("could not create the first account: {e}")),
            }
        } else {
            None
        };
        // A new data folder gets its inbox key pair, so the contact form
        // works at once; its passphrase is shown once, like the password.
        let first_inbox = if created && !refuge_inbox::has_key(&config.data_dir) {
            let generated = refuge_inbox::keygen(&config.data_dir, None, options.inbox_work_factor)?;
            generated.passphrase.map(|passphrase| FirstInbox { passphrase })
        } else {
            None
        };
        let listener = TcpListener::bind(&config.addr).await.with_context(|| {
            format!(
                "cannot listen on {}: is another program using it? Choose another with --addr HOST:PORT",
                config.addr
            )
        })?;
        let addr = listener.local_addr()?;
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        let base_url = config.base_url.clone().unwrap_or_else(|| format!("{scheme}://{addr}"));
        let (certificates, acceptor, plain, https) = match &config.tls {
            Some(tls) => {
                let (certificates, acceptor, plain, redirect, store) =
                    tls_setup(&config, tls, addr.port(), &base_url).await?;
                (Some(certificates), Some(acceptor), Some((plain, redirect)), Some(https_check(store)))
            }
            None => (None, None, None, None),
        };
        let site = Site::new(config.site_config(base_url.clone()), store.clone())?;
        let follow_from = refuge_web::Cursor::at_end(store.as_ref()).context("cannot read the change feed")?;
        let search = Arc::new(open_search(&config, store.as_ref())?);
        let cache = Arc::new(PageCache::new(config.cache_mb.saturating_mul(1024 * 1024)));
        let web = WebConfig {
            security: SecurityConfig { hsts: config.hsts(), onion_location: config.onion_address.clone() },
            log_requests: config.log_requests,
            log_client_ip: config.log_client_ip,
            search_per_minute: config.search_per_minute,
            request_timeout: std::time::Duration::from_secs(u64::from(config.request_timeout_seconds)),
            data: config.data_dir.clone(),
            media: config.media_files()?,
            smtp: config.smtp_config(&base_url)?,
            notify: config.notify.clone(),
            welcome_mail: config.welcome_mail,
            join_list_delay: std::time::Duration::from_secs(u64::from(config.join_list_delay_minutes) * 60),
            message_retention: (config.message_retention_days > 0)
                .then(|| std::time::Duration::from_secs(u64::from(config.message_retention_days) * 86_400)),
            form_key: Some(form_key(store.as_ref())?),
            https,
            ..WebConfig::default()
        };
        let state = AppState::new(Arc::new(site), cache, search, refuge_app::App::new(store.clone()), web);
        let via = if acceptor.is_some() { refuge_edge::Via::Https } else { refuge_edge::Via::Http };
        let main = refuge_edge::Service { router: refuge_web::router(state.clone()), via, tls: acceptor };
        let mut listeners = vec![(refuge_edge::Listener::Tcp(listener), main)];
        let mut http_addr = None;
        if let Some((plain, redirect)) = plain {
            http_addr = Some(plain.local_addr()?);
            let router = redirect.merge(refuge_web::health_router(state.clone()));
            listeners.push((
                refuge_edge::Listener::Tcp(plain),
                refuge_edge::Service { router, via: refuge_edge::Via::Http, tls: None },
            ));
        }
        if let Some(path) = &config.onion_socket {
            let socket = refuge_edge::Listener::unix(path).with_context(|| {
                format!("cannot listen on the onion socket {}: check that its folder is writable", path.display())
            })?;
            // Pages served to Tor use the onion address in their links,
            // without HSTS or a pointer to the onion address itself.
            let security = SecurityConfig { hsts: false, onion_location: None };
            let onion = match &config.onion_address {
                Some(onion) => {
                    let site = Site::new(config.site_config(onion.clone()), store.clone())?;
                    let cache = Arc::new(PageCache::new(config.cache_mb.saturating_mul(1024 * 1024) / 4));
                    state.another_view(Arc::new(site), cache, security)
                }
                None => {
                    tracing::warn!(
                        "onion_socket is set without onion_address: pages served to Tor link to {base_url}; \
                         set onion_address to the name in Tor's hostname file"
                    );
                    state.another_view(state.site.clone(), state.cache.clone(), security)
                }
            };
            let service =
                refuge_edge::Service { router: refuge_web::router(onion), via: refuge_edge::Via::Onion, tls: None };
            listeners.push((socket, service));
        }
        let edge = refuge_edge::Edge::new(
            config.edge_limits(),
            refuge_edge::TrustedProxies::new(config.trusted_proxies.clone()),
        );
        if state.config.smtp.is_some() {
            for address in refuge_web::outgoing::staff_addresses(&state) {
                if address.ends_with(".local") || address.ends_with(".invalid") {
                    tracing::warn!(
                        address,
                        "notices of new contact messages go to an address no mail server delivers to: \
                         change it under My account in the back office, or set `notify` in refuge.toml"
                    );
                }
            }
        }
        Ok(Self {
            listeners,
            edge,
            certificates,
            addr,
            http_addr,
            onion_socket: config.onion_socket.clone(),
            base_url,
            state,
            store,
            first_account,
            first_inbox,
            created,
            follow_from,
        })
    }

    /// Serves until `shutdown` completes, then lets requests in flight
    /// finish (for as long as a request may take).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let background = refuge_web::start_background(&self.state, self.store.clone(), self.follow_from);
        let certificates = self.certificates.map(|c| match c {
            Certificates::Acme(acme) => tokio::spawn(acme.run()),
            Certificates::Files(files, store) => tokio::spawn(files.watch(store, std::time::Duration::from_secs(5))),
        });
        let mut servers = tokio::task::JoinSet::new();
        for (listener, service) in self.listeners {
            servers.spawn(refuge_edge::serve(self.edge.clone(), listener, service));
        }
        let failed = tokio::select! {
            () = shutdown => None,
            Some(done) = servers.join_next() => Some(done),
        };
        let grace = self.state.config.request_timeout + std::time::Duration::from_secs(1);
        self.edge.shutdown(grace).await;
        while servers.join_next().await.is_some() {}
        if let Some(task) = certificates {
            task.abort();
        }
        background.stop().await;
        match failed {
            None => Ok(()),
            Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(anyhow::Error::new(e).context("a listener stopped with an error")),
            Some(Err(e)) => Err(anyhow::Error::new(e).context("a listener failed")),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            // Without a handler for Ctrl-C the server stops on SIGTERM alone
            // (never at once because the handler is missing).
            tracing::warn!(error = %e, "Ctrl-C cannot be listened for");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
