//! What `refuge.toml` may hold (unknown keys are refused by name).

use refuge_core::Language;
use serde::Deserialize;

use super::host_of;

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
pub(super) struct FileConfig {
    pub(super) addr: Option<String>,
    pub(super) database_url: Option<String>,
    pub(super) base_url: Option<String>,
    pub(super) languages: Option<Vec<Language>>,
    pub(super) page_size: Option<u32>,
    pub(super) cache_mb: Option<usize>,
    pub(super) log_requests: Option<bool>,
    pub(super) log_client_ip: Option<bool>,
    pub(super) hsts: Option<bool>,
    pub(super) onion_location: Option<String>,
    pub(super) onion_address: Option<String>,
    pub(super) onion_socket: Option<std::path::PathBuf>,
    pub(super) http_addr: Option<String>,
    pub(super) tls: Option<TlsFile>,
    pub(super) header_timeout_seconds: Option<u32>,
    pub(super) idle_timeout_seconds: Option<u32>,
    pub(super) max_connections: Option<usize>,
    pub(super) max_connections_per_client: Option<usize>,
    pub(super) trusted_proxies: Option<Vec<String>>,
    pub(super) h2c: Option<bool>,
    pub(super) search_per_minute: Option<u32>,
    pub(super) request_timeout_seconds: Option<u32>,
    pub(super) message_retention_days: Option<u32>,
    pub(super) notify: Option<Vec<String>>,
    pub(super) welcome_mail: Option<bool>,
    pub(super) join_list_delay_minutes: Option<u32>,
    pub(super) smtp: Option<SmtpFile>,
    pub(super) mirrors: Option<Vec<MirrorFile>>,
    pub(super) media_url: Option<String>,
    pub(super) media_endpoint: Option<String>,
    pub(super) media_region: Option<String>,
    pub(super) media_credentials: Option<std::path::PathBuf>,
}
