//! Layered configuration: defaults → `refuge.toml` in the data folder →
//! `REFUGE_*` environment variables → command-line flags. Unknown keys in
//! the file are an error that names the key.

use std::path::Path;

use anyhow::{Context, Result, bail};
use refuge_core::{DataDir, Language};
use serde::Deserialize;

/// The file in the data folder.
pub const FILE_NAME: &str = DataDir::CONFIG_FILE;

/// Written into a new data folder so the administrator sees every option.
pub const TEMPLATE: &str = r#"# Refuge settings. Every key is optional; the values shown are the defaults.
# Environment variables REFUGE_<KEY> (upper case) override this file, and
# command-line flags override both.

# Address and port to listen on.
# addr = "127.0.0.1:8080"

# The database. Absent (or "sqlite:"): the SQLite file refuge.db in this
# folder. "postgres://USER:PASSWORD@HOST:PORT/DATABASE": a PostgreSQL 15+
# database, which several Refuge servers can share (see the README).
# database_url = "postgres://refuge:secret@127.0.0.1:5432/refuge"

# Where the media library's files are kept. Absent: media/ in this folder.
# "s3://BUCKET/PREFIX": an S3-compatible bucket (several servers on one
# database share it); readers still fetch /media/… from Refuge. Credentials
# from media_credentials, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
# media_url = "s3://refuge-media/site"
# media_endpoint = "https://s3.example.net"   # hosts other than AWS S3
# media_region = "eu-central-1"
# media_credentials = "/etc/refuge/media-key"

# The public address of the site, used in canonical links, feeds and the
# sitemap. Defaults to http://<addr>.
# base_url = "https://example.org"

# Languages of the site; the first is the default.
# languages = ["en", "ja"]

# News items per listing page.
# page_size = 10

# Memory for rendered pages, in megabytes.
# cache_mb = 256

# Log one line per request (never with the reader's address unless
# log_client_ip is also true).
# log_requests = false
# log_client_ip = false

# Searches per minute allowed from one client (0: no limit).
# search_per_minute = 60

# The longest a request may take, in seconds, uploads included (raise it
# if editors upload large files over slow connections).
# request_timeout_seconds = 30

# Contact messages marked handled are deleted for good this many days
# after they arrived (0: kept until deleted by hand).
# message_retention_days = 90

# Send Strict-Transport-Security (only over HTTPS). On by default when
# Refuge serves HTTPS itself ([tls] below); set it when a proxy in front
# serves HTTPS for Refuge.
# hsts = false

# An onion service (Tor). Refuge listens on this Unix socket for Tor's
# `HiddenServicePort 80 unix:/run/refuge/onion.sock` (see the README).
# Pages served there use onion_address in their links; the other pages
# point to it with the Onion-Location header, and every page's footer and
# /{lang}/mirrors/ name it.
# onion_socket = "/run/refuge/onion.sock"
# onion_address = "http://example….onion"

# Limits every connection is held to. A request's head (and a TLS
# handshake) must arrive within header_timeout_seconds; a connection where
# nothing moves for idle_timeout_seconds is closed; connections beyond the
# caps are closed at once (per client: by address, not counting trusted
# proxies or the onion socket).
# header_timeout_seconds = 10
# idle_timeout_seconds = 60
# max_connections = 8192
# max_connections_per_client = 128

# Proxies in front of Refuge (a CDN, an anti-DDoS service such as Deflect
# or Cloudflare, a load balancer): only for requests from these networks
# is the client address read from Forwarded / X-Forwarded-For (it is used
# for rate limits and connection caps, never logged unless asked).
# trusted_proxies = ["203.0.113.0/24", "2001:db8::/32"]

# HTTP/2 without TLS (prior knowledge), for a proxy in front that speaks
# it. HTTP/2 over TLS is always offered.
# h2c = false

# HTTPS served by Refuge itself. With `domains`, certificates come from an
# ACME CA (Let's Encrypt by default) and are renewed in the background:
# the domains must point to this server, and http_addr (port 80) must be
# reachable for the CA's check. Or name certificate files that something
# else keeps current (read again when they change). With [tls], `addr`
# serves HTTPS (say "[::]:443") and http_addr answers plain HTTP: the CA's
# checks, and a redirect to HTTPS for everything else.
# http_addr = "[::]:80"
# [tls]
# domains = ["example.org", "www.example.org"]
# contact = "webmaster@example.org"
# acme_directory = "https://acme-v02.api.letsencrypt.org/directory"
# cache = "acme"                      # in the data folder
# renew_days = 30
# ca_root = "/etc/refuge/ca.pem"      # trust this root for a private ACME CA
# cert_file = "/etc/refuge/tls/fullchain.pem"   # instead of ACME
# key_file = "/etc/refuge/tls/privkey.pem"

# Mirrors: copies of the public site elsewhere, for readers who cannot
# reach this address. Every page's footer, /{lang}/mirrors/ and
# /mirrors.json list them. `refuge publish` keeps those with a bucket up
# to date (see the README); one [[mirrors]] table per copy.
# [[mirrors]]
# url = "https://refuge-mirror.s3.eu-central-1.amazonaws.com/site"  # where readers find it
# bucket = "s3://refuge-mirror/site"   # where `refuge publish` puts it
# endpoint = "https://s3.example.net"  # hosts other than AWS S3
# region = "eu-central-1"
# credentials = "/etc/refuge/mirror-key"  # aws_access_key_id = … / aws_secret_access_key = …
#                                          # (default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
# forms_url = "https://example.org"    # where its search and forms go (default: base_url)
# index_links = true                   # links name index.html (a bucket's plain address needs it)
# gzip = false                         # store text gzip-compressed (hosts that serve it as stored)
# name = "aws"                         # for `refuge publish aws` (default: the url's host)

# Outgoing e-mail (confirmations, newsletters, appeal updates, staff
# notices). Without it, e-mails wait in the outbox.
# [smtp]
# host = "smtp.example.org"
# port = 587
# security = "starttls"            # "starttls", "tls" or "none"
# username = "news@example.org"
# password_file = "/etc/refuge/smtp-password"   # read at start, never logged
# from = "Lighthouse Network <news@example.org>"
# per_minute = 60
# reply_to = "Lighthouse Network <office@example.org>"   # answers to list and automatic mail
# contact_from = "Lighthouse Network <help@example.org>" # sends (and receives) replies to contact messages
# helo_name = "example.org"        # the name in the SMTP greeting (default: the domain of base_url)
# dkim_key_file = "dkim.pem"       # sign every mail (made by `refuge mail dkim-keygen`)
# dkim_selector = "refuge"
# dkim_domain = "example.org"      # default: the domain of `from`

# Who is told by mail that a contact message arrived (default: every admin account).
# notify = ["office@example.org"]

# Send a welcome mail once a sign-up is confirmed (its text is under
# Site settings, per language).
# welcome_mail = true

# A contact-form writer who ticks "send me the news" is signed up (asked
# to confirm) at a random moment between a quarter of this and this many
# minutes later, so no time in the database links the sign-up to the
# message (0: at once). A restart meanwhile drops the sign-up; the message
# still says they asked.
# join_list_delay_minutes = 120
"#;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpFile {
    pub host: String,
    pub port: Option<u16>,
    pub security: Option<refuge_mail::Security>,
    pub username: Option<String>,
    pub password_file: Option<std::path::PathBuf>,
    pub from: String,
    pub per_minute: Option<u32>,
    pub reply_to: Option<String>,
    pub contact_from: Option<String>,
    pub helo_name: Option<String>,
    pub dkim_key_file: Option<std::path::PathBuf>,
    pub dkim_selector: Option<String>,
    pub dkim_domain: Option<String>,
}

/// One `[[mirrors]]` table: a copy of the public site elsewhere.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorFile {
    /// For `refuge publish NAME` (default: the url's host).
    pub name: Option<String>,
    /// Where readers find the copy.
    pub url: String,
    /// Where `refuge publish` puts it: `s3://BUCKET/PREFIX`.
    pub bucket: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// A file with the access key (default: the AWS_* variables).
    pub credentials: Option<std::path::PathBuf>,
    /// Where the copy's search and forms go (default: the main site).
    pub forms_url: Option<String>,
    #[serde(default)]
    pub index_links: bool,
    #[serde(default)]
    pub gzip: bool,
}

/// `[tls]`: HTTPS served by Refuge itself.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    #[serde(default)]
    pub domains: Vec<String>,
    pub contact: Option<String>,
    pub acme_directory: Option<String>,
    pub cache: Option<std::path::PathBuf>,
    pub renew_days: Option<u32>,
    pub ca_root: Option<std::path::PathBuf>,
    pub cert_file: Option<std::path::PathBuf>,
    pub key_file: Option<std::path::PathBuf>,
}

impl MirrorFile {
    /// The name `refuge publish` knows it by.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| host_of(&self.url))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<String>,
    database_url: Option<String>,
    base_url: Option<String>,
    languages: Option<Vec<Language>>,
    page_size: Option<u32>,
    cache_mb: Option<usize>,
    log_requests: Option<bool>,
    log_client_ip: Option<bool>,
    hsts: Option<bool>,
    onion_location: Option<String>,
    onion_address: Option<String>,
    onion_socket: Option<std::path::PathBuf>,
    http_addr: Option<String>,
    tls: Option<TlsFile>,
    header_timeout_seconds: Option<u32>,
    idle_timeout_seconds: Option<u32>,
    max_connections: Option<usize>,
    max_connections_per_client: Option<usize>,
    trusted_proxies: Option<Vec<String>>,
    h2c: Option<bool>,
    search_per_minute: Option<u32>,
    request_timeout_seconds: Option<u32>,
    message_retention_days: Option<u32>,
    notify: Option<Vec<String>>,
    welcome_mail: Option<bool>,
    join_list_delay_minutes: Option<u32>,
    smtp: Option<SmtpFile>,
    mirrors: Option<Vec<MirrorFile>>,
    media_url: Option<String>,
    media_endpoint: Option<String>,
    media_region: Option<String>,
    media_credentials: Option<std::path::PathBuf>,
}

/// The settings in force.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: DataDir,
    /// The settings file read: the data folder's refuge.toml, or `--config`.
    pub config_file: std::path::PathBuf,
    pub addr: String,
    /// `None`: the SQLite file in the data folder.
    pub database_url: Option<String>,
    /// `None`: derived from the address actually bound.
    pub base_url: Option<String>,
    pub languages: Vec<Language>,
    pub page_size: u32,
    pub cache_mb: usize,
    pub log_requests: bool,
    pub log_client_ip: bool,
    /// `None`: on when Refuge serves HTTPS itself.
    pub hsts: Option<bool>,
    /// The onion service's address (`onion_address`, formerly
    /// `onion_location`), e.g. `http://abc….onion`.
    pub onion_address: Option<String>,
    /// The Unix socket Tor forwards the onion service to.
    pub onion_socket: Option<std::path::PathBuf>,
    /// Plain HTTP beside HTTPS: ACME checks and the redirect.
    pub http_addr: Option<String>,
    pub tls: Option<TlsFile>,
    pub header_timeout_seconds: u32,
    pub idle_timeout_seconds: u32,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    pub trusted_proxies: Vec<refuge_edge::Cidr>,
    pub h2c: bool,
    pub search_per_minute: u32,
    /// The longest a request may take, in seconds.
    pub request_timeout_seconds: u32,
    /// Days after which handled contact messages are deleted (0: never).
    pub message_retention_days: u32,
    /// Addresses told that a contact message arrived; empty: every admin.
    pub notify: Vec<String>,
    /// Whether a confirmed sign-up gets a welcome mail.
    pub welcome_mail: bool,
    /// The longest a contact-form sign-up waits before it is made.
    pub join_list_delay_minutes: u32,
    pub smtp: Option<SmtpFile>,
    /// Copies of the public site elsewhere (`[[mirrors]]`).
    pub mirrors: Vec<MirrorFile>,
    /// `None`: media files in the data folder; `s3://…`: in a bucket.
    pub media_url: Option<String>,
    pub media_endpoint: Option<String>,
    pub media_region: Option<String>,
    pub media_credentials: Option<std::path::PathBuf>,
}

impl Config {
    /// The SMTP settings with the password (and DKIM key) read from
    /// their files; `base_url` gives the domain mail is sent for.
    pub fn smtp_config(&self, base_url: &str) -> Result<Option<refuge_mail::SmtpConfig>> {
        let Some(smtp) = &self.smtp else { return Ok(None) };
        let read = |path: &Path, what: &str| -> Result<String> {
            let path = if path.is_absolute() { path.to_owned() } else { self.data_dir.join(path) };
            std::fs::read_to_string(&path).with_context(|| format!("cannot read the {what} {}", path.display()))
        };
        let password = match &smtp.password_file {
            Some(path) => Some(read(path, "SMTP password file")?.trim().to_owned()),
            None => None,
        };
        let security = smtp.security.unwrap_or_default();
        let port = smtp.port.unwrap_or(match security {
            refuge_mail::Security::Tls => 465,
            refuge_mail::Security::Starttls => 587,
            refuge_mail::Security::None => 25,
        });
        let domain = host_of(base_url);
        let from_domain = smtp.from.rsplit('@').next().unwrap_or_default().trim_end_matches('>').trim().to_owned();
        let dkim = match &smtp.dkim_key_file {
            Some(path) => {
                let selector = smtp.dkim_selector.clone().unwrap_or_else(|| "refuge".into());
                let domain = smtp.dkim_domain.clone().unwrap_or_else(|| from_domain.clone());
                let key = read(path, "DKIM key file")?;
                Some(refuge_mail::Dkim::new(&selector, &domain, &key).map_err(anyhow::Error::msg)?)
            }
            None => None,
        };
        let list_name = smtp
            .from
            .split_once('<')
            .map(|(name, _)| name.trim().trim_matches('"').to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| domain.clone());
        Ok(Some(refuge_mail::SmtpConfig {
            host: smtp.host.clone(),
            port,
            security,
            username: smtp.username.clone(),
            password,
            from: smtp.from.clone(),
            per_minute: smtp.per_minute.unwrap_or(60),
            domain,
            helo_name: smtp.helo_name.clone(),
            reply_to: smtp.reply_to.clone(),
            contact_from: smtp.contact_from.clone(),
            list_name,
            dkim,
        }))
    }

    /// Opens the database the settings name (creating and migrating it as
    /// needed).
    pub fn open_store(&self) -> Result<refuge_store::SqlStore> {
        Ok(refuge_store::SqlStore::open_url(self.database_url.as_deref(), &self.data_dir.database())?)
    }

    /// What the renderer needs, for pages addressed under `base_url`.
    pub fn site_config(&self, base_url: String) -> refuge_render::SiteConfig {
        let addresses = refuge_render::Addresses {
            main: self.base_url.as_deref().unwrap_or(&base_url).trim_end_matches('/').to_owned(),
            mirrors: self
                .mirrors
                .iter()
                .map(|m| refuge_render::MirrorAddress {
                    url: m.url.trim_end_matches('/').to_owned(),
                    forms_url: m.forms_url.as_deref().map(|f| f.trim_end_matches('/').to_owned()),
                    index_links: m.index_links,
                })
                .collect(),
            onion: self.onion_address.clone(),
            copy_made: None,
        };
        refuge_render::SiteConfig {
            base_url,
            languages: self.languages.clone(),
            theme_dir: Some(self.data_dir.theme()),
            page_size: self.page_size,
            addresses,
        }
    }

    /// Where the media library's files are: the bucket `media_url` names,
    /// or the data folder's `media/`.
    pub fn media_files(&self) -> Result<std::sync::Arc<dyn refuge_core::MediaFiles>> {
        let Some(url) = self.media_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(std::sync::Arc::new(refuge_media::library::MediaFolder(self.data_dir.media())));
        };
        let mut target = refuge_bucket::Target::parse(url)?;
        target.endpoint = self.media_endpoint.clone();
        target.region = self.media_region.clone();
        let credentials = match &self.media_credentials {
            Some(path) => {
                let path = if path.is_absolute() { path.clone() } else { self.data_dir.join(path) };
                refuge_bucket::Credentials::from_file(&path)?
            }
            None => refuge_bucket::Credentials::from_env()
                .ok_or_else(|| refuge_bucket::BucketError::NoCredentials(target.to_string()))?,
        };
        let bucket = refuge_bucket::Bucket::open(&target, &credentials)?;
        Ok(std::sync::Arc::new(refuge_bucket::media::BucketMedia::new(bucket)?))
    }

    /// Whether to send Strict-Transport-Security.
    pub fn hsts(&self) -> bool {
        self.hsts.unwrap_or(self.tls.is_some())
    }

    /// The limits every connection is held to.
    pub fn edge_limits(&self) -> refuge_edge::Limits {
        refuge_edge::Limits {
            header_timeout: std::time::Duration::from_secs(u64::from(self.header_timeout_seconds)),
            idle_timeout: std::time::Duration::from_secs(u64::from(self.idle_timeout_seconds)),
            max_connections: self.max_connections,
            max_per_client: self.max_connections_per_client,
            h2c: self.h2c,
        }
    }

    /// The plain-HTTP address beside HTTPS: `http_addr`, or port 80 on
    /// the host of `addr`.
    pub fn http_addr(&self) -> String {
        self.http_addr.clone().unwrap_or_else(|| {
            let host = self.addr.rsplit_once(':').map_or(self.addr.as_str(), |(h, _)| h);
            format!("{host}:80")
        })
    }

    /// The main site's address: `base_url`, or `http://ADDR`.
    pub fn main_url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| format!("http://{}", self.addr)).trim_end_matches('/').to_owned()
    }

    /// Defaults for a data folder, before the file and environment.
    pub fn defaults(data_dir: &Path) -> Self {
        Self {
            data_dir: DataDir::from(data_dir),
            config_file: DataDir::from(data_dir).config_file(),
            addr: "127.0.0.1:8080".into(),
            database_url: None,
            base_url: None,
            languages: vec![Language::parse("en").expect("valid"), Language::parse("ja").expect("valid")],
            page_size: 10,
            cache_mb: 256,
            log_requests: false,
            log_client_ip: false,
            hsts: None,
            onion_address: None,
            onion_socket: None,
            http_addr: None,
            tls: None,
            header_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            max_connections: 8192,
            max_connections_per_client: 128,
            trusted_proxies: Vec::new(),
            h2c: false,
            search_per_minute: 60,
            request_timeout_seconds: 30,
            message_retention_days: 90,
            notify: Vec::new(),
            welcome_mail: true,
            join_list_delay_minutes: 120,
            smtp: None,
            mirrors: Vec::new(),
            media_url: None,
            media_endpoint: None,
            media_region: None,
            media_credentials: None,
        }
    }

    /// Reads `refuge.toml` (if present) and the environment over the defaults.
    pub fn load(data_dir: &Path) -> Result<Self> {
        Self::load_with(data_dir, None)
    }

    /// Like [`Config::load`], with the settings read from `file` instead
    /// of the data folder's refuge.toml (it must exist).
    pub fn load_with(data_dir: &Path, file: Option<&Path>) -> Result<Self> {
        let mut config = Self::defaults(data_dir);
        if let Some(file) = file {
            if !file.is_file() {
                bail!("the settings file {} does not exist (given with --config or REFUGE_CONFIG)", file.display());
            }
            config.config_file = file.to_owned();
        }
        let path = config.config_file.clone();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let file: FileConfig =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim()))?;
            config.apply(file)?;
        }
        config.apply(from_env(|k| std::env::var(k).ok())?)?;
        config.validate()?;
        Ok(config)
    }

    fn apply(&mut self, f: FileConfig) -> Result<()> {
        let FileConfig {
            addr,
            database_url,
            base_url,
            languages,
            page_size,
            cache_mb,
            log_requests,
            log_client_ip,
            hsts,
            onion_location,
            onion_address,
            onion_socket,
            http_addr,
            tls,
            header_timeout_seconds,
            idle_timeout_seconds,
            max_connections,
            max_connections_per_client,
            trusted_proxies,
            h2c,
            search_per_minute,
            request_timeout_seconds,
            message_retention_days,
            notify,
            welcome_mail,
            join_list_delay_minutes,
            smtp,
            mirrors,
            media_url,
            media_endpoint,
            media_region,
            media_credentials,
        } = f;
        self.addr = addr.unwrap_or(std::mem::take(&mut self.addr));
        self.database_url = database_url.or(self.database_url.take());
        self.base_url = base_url.or(self.base_url.take());
        self.languages = languages.unwrap_or(std::mem::take(&mut self.languages));
        self.page_size = page_size.unwrap_or(self.page_size);
        self.cache_mb = cache_mb.unwrap_or(self.cache_mb);
        self.log_requests = log_requests.unwrap_or(self.log_requests);
        self.log_client_ip = log_client_ip.unwrap_or(self.log_client_ip);
        self.hsts = hsts.or(self.hsts);
        self.onion_address = onion_address.or(onion_location).or(self.onion_address.take());
        self.onion_socket = onion_socket.or(self.onion_socket.take());
        self.http_addr = http_addr.or(self.http_addr.take());
        self.tls = tls.or(self.tls.take());
        self.header_timeout_seconds = header_timeout_seconds.unwrap_or(self.header_timeout_seconds);
        self.idle_timeout_seconds = idle_timeout_seconds.unwrap_or(self.idle_timeout_seconds);
        self.max_connections = max_connections.unwrap_or(self.max_connections);
        self.max_connections_per_client = max_connections_per_client.unwrap_or(self.max_connections_per_client);
        if let Some(list) = trusted_proxies {
            self.trusted_proxies = list
                .iter()
                .map(|n| n.parse().map_err(|e: String| anyhow::anyhow!("`trusted_proxies`: {e}")))
                .collect::<Result<_>>()?;
        }
        self.h2c = h2c.unwrap_or(self.h2c);
        self.search_per_minute = search_per_minute.unwrap_or(self.search_per_minute);
        self.request_timeout_seconds = request_timeout_seconds.unwrap_or(self.request_timeout_seconds);
        self.message_retention_days = message_retention_days.unwrap_or(self.message_retention_days);
        self.notify = notify.unwrap_or(std::mem::take(&mut self.notify));
        self.welcome_mail = welcome_mail.unwrap_or(self.welcome_mail);
        self.join_list_delay_minutes = join_list_delay_minutes.unwrap_or(self.join_list_delay_minutes);
        self.smtp = smtp.or(self.smtp.take());
        self.mirrors = mirrors.unwrap_or(std::mem::take(&mut self.mirrors));
        self.media_url = media_url.or(self.media_url.take());
        self.media_endpoint = media_endpoint.or(self.media_endpoint.take());
        self.media_region = media_region.or(self.media_region.take());
        self.media_credentials = media_credentials.or(self.media_credentials.take());
        Ok(())
    }

    fn validate(&mut self) -> Result<()> {
        if self.languages.is_empty() {
            bail!("`languages` must name at least one language, e.g. [\"en\", \"ja\"]");
        }
        let mut seen = Vec::new();
        for l in &self.languages {
            if seen.contains(l) {
                bail!("`languages` names `{l}` twice");
            }
            seen.push(l.clone());
        }
        for address in &self.notify {
            refuge_core::Email::parse(address)
                .map_err(|e| anyhow::anyhow!("`notify`: {e}; write bare addresses, e.g. [\"office@example.org\"]"))?;
        }
        if let Some(smtp) = &self.smtp {
            for (key, value) in [
                ("from", Some(&smtp.from)),
                ("reply_to", smtp.reply_to.as_ref()),
                ("contact_from", smtp.contact_from.as_ref()),
            ] {
                if let Some(value) = value
                    && !refuge_mail::valid_mailbox(value)
                {
                    bail!("`smtp.{key}` is not an address like \"Name <news@example.org>\" (got `{value}`)");
                }
            }
        }
        if !(1..=3600).contains(&self.request_timeout_seconds) {
            bail!("`request_timeout_seconds` must be between 1 and 3600");
        }
        if !(1..=100).contains(&self.page_size) {
            bail!("`page_size` must be between 1 and 100");
        }
        if let Some(url) = self.media_url.as_deref().filter(|u| !u.is_empty()) {
            refuge_bucket::Target::parse(url).map_err(|e| anyhow::anyhow!("`media_url`: {e}"))?;
        }
        let mut names = Vec::new();
        for (i, mirror) in self.mirrors.iter().enumerate() {
            let n = i + 1;
            refuge_export::web_address(&mirror.url, "url")
                .map_err(|e| anyhow::anyhow!("[[mirrors]] number {n}: {e}"))?;
            if let Some(forms) = &mirror.forms_url {
                refuge_export::web_address(forms, "forms_url")
                    .map_err(|e| anyhow::anyhow!("[[mirrors]] number {n}: {e}"))?;
            }
            if let Some(bucket) = &mirror.bucket {
                refuge_bucket::Target::parse(bucket)
                    .map_err(|e| anyhow::anyhow!("[[mirrors]] number {n}: bucket: {e}"))?;
            }
            let name = mirror.name();
            if names.contains(&name) {
                bail!("[[mirrors]] number {n}: another mirror is also named `{name}`; give each a `name`");
            }
            names.push(name);
        }
        if !(1..=600).contains(&self.header_timeout_seconds) {
            bail!("`header_timeout_seconds` must be between 1 and 600");
        }
        if !(1..=86_400).contains(&self.idle_timeout_seconds) {
            bail!("`idle_timeout_seconds` must be between 1 and 86400");
        }
        if self.max_connections == 0 || self.max_connections_per_client == 0 {
            bail!("`max_connections` and `max_connections_per_client` must be at least 1");
        }
        if let Some(onion) = &mut self.onion_address {
            if !onion.contains("://") {
                onion.insert_str(0, "http://");
            }
            while onion.ends_with('/') {
                onion.pop();
            }
            if !host_of(onion).ends_with(".onion") {
                bail!("`onion_address` must be an address ending in .onion, like http://abc…xyz.onion (got `{onion}`)");
            }
        }
        if let Some(tls) = &mut self.tls {
            for domain in &mut tls.domains {
                *domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
                let valid = !domain.is_empty()
                    && domain.len() <= 253
                    && domain.contains('.')
                    && domain.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && !label.starts_with('-')
                            && !label.ends_with('-')
                            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    });
                if !valid {
                    bail!(
                        "[tls] domains: `{domain}` is not a domain name like example.org (no https://, port or wildcard)"
                    );
                }
            }
            match (&tls.cert_file, &tls.key_file) {
                (Some(_), Some(_)) => {}
                (None, None) if !tls.domains.is_empty() => {}
                (None, None) => {
                    bail!("[tls] needs `domains` (for certificates from Let's Encrypt) or `cert_file` and `key_file`")
                }
                _ => bail!("[tls] needs both `cert_file` and `key_file`"),
            }
            if let Some(contact) = &tls.contact {
                refuge_core::Email::parse(contact).map_err(|e| {
                    anyhow::anyhow!("[tls] contact: {e}; write a bare address, e.g. \"webmaster@example.org\"")
                })?;
            }
            if self.base_url.is_none()
                && let Some(first) = tls.domains.first()
            {
                let port = self.addr.rsplit_once(':').map(|(_, p)| p).filter(|p| *p != "443");
                self.base_url = Some(match port {
                    Some(p) => format!("https://{first}:{p}"),
                    None => format!("https://{first}"),
                });
            }
        } else if self.http_addr.is_some() {
            bail!("`http_addr` is for the plain-HTTP listener beside HTTPS: add a [tls] table, or remove it");
        }
        if let Some(url) = &mut self.base_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("`base_url` must start with http:// or https:// (got `{url}`)");
            }
            while url.ends_with('/') {
                url.pop();
            }
        }
        Ok(())
    }
}

/// The host of a URL: `https://example.org:8443/x` → `example.org`.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = if authority.starts_with('[') {
        authority.split(']').next().unwrap_or_default().trim_start_matches('[')
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.to_ascii_lowercase()
}

/// `REFUGE_*` variables as a partial config.
fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<FileConfig> {
    fn flag(name: &str, value: Option<String>) -> Result<Option<bool>> {
        value
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => bail!("{name} must be true or false (got `{v}`)"),
            })
            .transpose()
    }
    let number = |name: &str| -> Result<Option<u64>> {
        get(name)
            .map(|v| v.trim().parse().with_context(|| format!("{name} must be a whole number (got `{v}`)")))
            .transpose()
    };
    let languages = get("REFUGE_LANGUAGES")
        .map(|v| {
            v.split(',')
                .map(|l| Language::parse(l).map_err(|e| anyhow::anyhow!("REFUGE_LANGUAGES: {e}")))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    Ok(FileConfig {
        addr: get("REFUGE_ADDR"),
        database_url: get("REFUGE_DATABASE_URL"),
        base_url: get("REFUGE_BASE_URL"),
        languages,
        page_size: number("REFUGE_PAGE_SIZE")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        cache_mb: number("REFUGE_CACHE_MB")?.map(|n| n as usize),
        log_requests: flag("REFUGE_LOG_REQUESTS", get("REFUGE_LOG_REQUESTS"))?,
        log_client_ip: flag("REFUGE_LOG_CLIENT_IP", get("REFUGE_LOG_CLIENT_IP"))?,
        hsts: flag("REFUGE_HSTS", get("REFUGE_HSTS"))?,
        onion_location: get("REFUGE_ONION_LOCATION"),
        onion_address: get("REFUGE_ONION_ADDRESS"),
        onion_socket: get("REFUGE_ONION_SOCKET").map(Into::into),
        http_addr: get("REFUGE_HTTP_ADDR"),
        tls: None,
        header_timeout_seconds: number("REFUGE_HEADER_TIMEOUT_SECONDS")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        idle_timeout_seconds: number("REFUGE_IDLE_TIMEOUT_SECONDS")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        max_connections: number("REFUGE_MAX_CONNECTIONS")?.map(|n| n as usize),
        max_connections_per_client: number("REFUGE_MAX_CONNECTIONS_PER_CLIENT")?.map(|n| n as usize),
        trusted_proxies: get("REFUGE_TRUSTED_PROXIES")
            .map(|v| v.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect()),
        h2c: flag("REFUGE_H2C", get("REFUGE_H2C"))?,
        search_per_minute: number("REFUGE_SEARCH_PER_MINUTE")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        request_timeout_seconds: number("REFUGE_REQUEST_TIMEOUT_SECONDS")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        message_retention_days: number("REFUGE_MESSAGE_RETENTION_DAYS")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        notify: get("REFUGE_NOTIFY")
            .map(|v| v.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect()),
        welcome_mail: flag("REFUGE_WELCOME_MAIL", get("REFUGE_WELCOME_MAIL"))?,
        join_list_delay_minutes: number("REFUGE_JOIN_LIST_DELAY_MINUTES")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        smtp: None,
        mirrors: None,
        media_url: get("REFUGE_MEDIA_URL"),
        media_endpoint: get("REFUGE_MEDIA_ENDPOINT"),
        media_region: get("REFUGE_MEDIA_REGION"),
        media_credentials: get("REFUGE_MEDIA_CREDENTIALS").map(Into::into),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_defaults_and_unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "page_size = 5\nlanguages = [\"ja\", \"en\", \"ko\"]\n").unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.page_size, 5);
        assert_eq!(c.languages[0].as_str(), "ja");
        std::fs::write(dir.path().join(FILE_NAME), "page_size = 5\nthemes = 1\n").unwrap();
        let err = Config::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("themes") && err.contains(FILE_NAME), "{err}");
        std::fs::write(dir.path().join(FILE_NAME), "languages = [\"english\"]\n").unwrap();
        assert!(Config::load(dir.path()).unwrap_err().to_string().contains("english"));
    }

    #[test]
    fn the_template_is_a_valid_file() {
        let parsed: FileConfig = toml::from_str(TEMPLATE).unwrap();
        assert!(parsed.addr.is_none());
    }

    #[test]
    fn environment_layer() {
        let env = |k: &str| match k {
            "REFUGE_LOG_REQUESTS" => Some("yes".to_owned()),
            "REFUGE_LANGUAGES" => Some("en,ja,zh-hant".to_owned()),
            "REFUGE_BASE_URL" => Some("https://example.org/".to_owned()),
            "REFUGE_MESSAGE_RETENTION_DAYS" => Some("30".to_owned()),
            _ => None,
        };
        let mut c = Config::defaults(Path::new("x"));
        c.apply(from_env(env).unwrap()).unwrap();
        c.validate().unwrap();
        assert!(c.log_requests);
        assert_eq!(c.languages.len(), 3);
        assert_eq!(c.base_url.as_deref(), Some("https://example.org"));
        assert_eq!(c.message_retention_days, 30);
        let bad = |k: &str| (k == "REFUGE_HSTS").then(|| "maybe".to_owned());
        assert!(from_env(bad).unwrap_err().to_string().contains("REFUGE_HSTS"));
    }
}
