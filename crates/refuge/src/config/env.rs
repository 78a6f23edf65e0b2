//! `REFUGE_*` environment variables, the layer between the file and the
//! command line.

use anyhow::{Context, Result, bail};
use refuge_core::Language;

use super::FileConfig;

/// `REFUGE_*` variables as a partial config.
pub(super) fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<FileConfig> {
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
