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

# Send Strict-Transport-Security (only when served over HTTPS).
# hsts = false

# Advertise an onion mirror with the Onion-Location header (every page's
# footer and /{lang}/mirrors/ name it too).
# onion_location = "http://example….onion"

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
    search_per_minute: Option<u32>,
    request_timeout_seconds: Option<u32>,
    message_retention_days: Option<u32>,
    notify: Option<Vec<String>>,
    welcome_mail: Option<bool>,
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
    pub hsts: bool,
    pub onion_location: Option<String>,
    pub search_per_minute: u32,
    /// The longest a request may take, in seconds.
    pub request_timeout_seconds: u32,
    /// Days after which handled contact messages are deleted (0: never).
    pub message_retention_days: u32,
    /// Addresses told that a contact message arrived; empty: every admin.
    pub notify: Vec<String>,
    /// Whether a confirmed sign-up gets a welcome mail.
    pub welcome_mail: bool,
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
            onion: self.onion_location.clone(),
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

    /// The main site's address: `base_url`, or `http://ADDR`.
    pub fn main_url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| format!("http://{}", self.addr)).trim_end_matches('/').to_owned()
    }

    /// Defaults for a data folder, before the file and environment.
    pub fn defaults(data_dir: &Path) -> Self {
        Self {
            data_dir: DataDir::from(data_dir),
            addr: "127.0.0.1:8080".into(),
            database_url: None,
            base_url: None,
            languages: vec![Language::parse("en").expect("valid"), Language::parse("ja").expect("valid")],
            page_size: 10,
            cache_mb: 256,
            log_requests: false,
            log_client_ip: false,
            hsts: false,
            onion_location: None,
            search_per_minute: 60,
            request_timeout_seconds: 30,
            message_retention_days: 90,
            notify: Vec::new(),
            welcome_mail: true,
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
        let mut config = Self::defaults(data_dir);
        let path = config.data_dir.config_file();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let file: FileConfig =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim()))?;
            config.apply(file);
        }
        config.apply(from_env(|k| std::env::var(k).ok())?);
        config.validate()?;
        Ok(config)
    }

    fn apply(&mut self, f: FileConfig) {
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
            search_per_minute,
            request_timeout_seconds,
            message_retention_days,
            notify,
            welcome_mail,
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
        self.hsts = hsts.unwrap_or(self.hsts);
        self.onion_location = onion_location.or(self.onion_location.take());
        self.search_per_minute = search_per_minute.unwrap_or(self.search_per_minute);
        self.request_timeout_seconds = request_timeout_seconds.unwrap_or(self.request_timeout_seconds);
        self.message_retention_days = message_retention_days.unwrap_or(self.message_retention_days);
        self.notify = notify.unwrap_or(std::mem::take(&mut self.notify));
        self.welcome_mail = welcome_mail.unwrap_or(self.welcome_mail);
        self.smtp = smtp.or(self.smtp.take());
        self.mirrors = mirrors.unwrap_or(std::mem::take(&mut self.mirrors));
        self.media_url = media_url.or(self.media_url.take());
        self.media_endpoint = media_endpoint.or(self.media_endpoint.take());
        self.media_region = media_region.or(self.media_region.take());
        self.media_credentials = media_credentials.or(self.media_credentials.take());
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
        search_per_minute: number("REFUGE_SEARCH_PER_MINUTE")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        request_timeout_seconds: number("REFUGE_REQUEST_TIMEOUT_SECONDS")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        message_retention_days: number("REFUGE_MESSAGE_RETENTION_DAYS")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
        notify: get("REFUGE_NOTIFY")
            .map(|v| v.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect()),
        welcome_mail: flag("REFUGE_WELCOME_MAIL", get("REFUGE_WELCOME_MAIL"))?,
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
        c.apply(from_env(env).unwrap());
        c.validate().unwrap();
        assert!(c.log_requests);
        assert_eq!(c.languages.len(), 3);
        assert_eq!(c.base_url.as_deref(), Some("https://example.org"));
        assert_eq!(c.message_retention_days, 30);
        let bad = |k: &str| (k == "REFUGE_HSTS").then(|| "maybe".to_owned());
        assert!(from_env(bad).unwrap_err().to_string().contains("REFUGE_HSTS"));
    }
}
