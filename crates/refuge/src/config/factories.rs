//! What the settings in force make: the store, the mail settings, the
//! site's and the edge's settings, the media files.

use std::path::Path;

use anyhow::{Context, Result};

use super::Config;

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
