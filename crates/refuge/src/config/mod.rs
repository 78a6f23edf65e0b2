//! Layered configuration: defaults → `refuge.toml` in the data folder →
//! `REFUGE_*` environment variables → command-line flags. Unknown keys in
//! the file are an error that names the key.

use std::path::Path;

use anyhow::{Context, Result, bail};
use refuge_core::{DataDir, Language};

mod env;
mod factories;
mod file;
mod template;
mod validate;

use env::from_env;
pub use factories::host_of;
use file::FileConfig;
pub use file::{MirrorFile, SmtpFile, TlsFile};
pub use template::TEMPLATE;

/// The file in the data folder.
pub const FILE_NAME: &str = DataDir::CONFIG_FILE;

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
