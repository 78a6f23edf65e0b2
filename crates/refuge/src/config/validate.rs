//! Checking the settings in force, each mistake named with what to do.

use anyhow::{Result, bail};

use super::{Config, host_of};

impl Config {
    pub(super) fn validate(&mut self) -> Result<()> {
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
