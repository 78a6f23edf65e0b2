//! Certificates: loaded from PEM files (and reloaded when they change) or
//! obtained by ACME, held in a [`CertStore`] that new handshakes read, so
//! a renewed certificate is used at once while open connections go on.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::EdgeError;

/// The certificate in use, replaced whole when renewed.
#[derive(Debug, Default)]
pub struct CertStore {
    current: RwLock<Option<Loaded>>,
}

#[derive(Clone, Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    not_before: i64,
    not_after: i64,
}

impl CertStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Puts `chain_pem` with `key_pem` in use for new handshakes; returns
    /// the certificate's end of validity (seconds since 1970).
    pub fn set_pem(&self, chain_pem: &[u8], key_pem: &[u8]) -> Result<i64, EdgeError> {
        let (key, (not_before, not_after)) = certified_key(chain_pem, key_pem)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) =
            Some(Loaded { key: Arc::new(key), not_before, not_after });
        Ok(not_after)
    }

    /// The validity of the certificate in use: (start, end).
    pub fn validity(&self) -> Option<(i64, i64)> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|l| (l.not_before, l.not_after))
    }

    /// When the certificate in use stops being valid; `None` without one.
    pub fn not_after(&self) -> Option<i64> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|l| l.not_after)
    }

    pub fn has_certificate(&self) -> bool {
        self.not_after().is_some()
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|l| l.key.clone())
    }
}

/// Parses a PEM chain and its private key, checks they belong together.
pub fn certified_key(chain_pem: &[u8], key_pem: &[u8]) -> Result<(CertifiedKey, (i64, i64)), EdgeError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| EdgeError::Certificate(format!("the certificate file does not read as PEM: {e}")))?;
    let Some(leaf) = chain.first() else {
        return Err(EdgeError::Certificate("the certificate file holds no certificate".into()));
    };
    let validity =
        validity(leaf).ok_or_else(|| EdgeError::Certificate("the certificate's validity could not be read".into()))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| EdgeError::Certificate(format!("the key file holds no private key in PEM: {e}")))?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| EdgeError::Certificate(format!("the private key cannot be used: {e}")))?;
    let certified = CertifiedKey::new(chain, signer);
    certified
        .keys_match()
        .map_err(|_| EdgeError::Certificate("the private key does not belong to the certificate".into()))?;
    Ok((certified, validity))
}

/// The TLS settings: TLS 1.2 and 1.3 with rustls' safe defaults, HTTP/2
/// offered first by ALPN, session tickets for quick reconnects.
pub fn server_config(certs: Arc<CertStore>) -> Result<Arc<ServerConfig>, EdgeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EdgeError::Certificate(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(certs);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| EdgeError::Certificate(e.to_string()))?;
    Ok(Arc::new(config))
}

/// Certificates kept up to date by something else (certbot, a company
/// CA): read at start, read again whenever either file changes.
#[derive(Clone, Debug)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl CertFiles {
    /// Loads both files into `store`.
    pub fn load(&self, store: &CertStore) -> Result<i64, EdgeError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| EdgeError::Certificate(format!("cannot read {}: {e}", p.display())))
        };
        store.set_pem(&read(&self.cert)?, &read(&self.key)?).map_err(|e| match e {
            EdgeError::Certificate(m) => {
                EdgeError::Certificate(format!("{} and {}: {m}", self.cert.display(), self.key.display()))
            }
            other => other,
        })
    }

    fn stamp(&self) -> Option<(SystemTime, SystemTime)> {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        Some((m(&self.cert)?, m(&self.key)?))
    }

    /// Checks the files every `every` and loads them again when changed.
    /// A failed reload keeps the certificate in use and says why.
    pub async fn watch(self, store: Arc<CertStore>, every: Duration) {
        let mut seen = self.stamp();
        loop {
            tokio::time::sleep(every).await;
            let now = self.stamp();
            if now == seen {
                continue;
            }
            // Give whatever writes them a moment to write both.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let files = self.clone();
            let store2 = store.clone();
            match tokio::task::spawn_blocking(move || files.load(&store2)).await {
                Ok(Ok(not_after)) => {
                    tracing::info!(valid_until = %crate::when(not_after), "certificate files changed: now in use");
                    seen = self.stamp();
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "certificate files changed but cannot be used; the previous certificate stays in use");
                    seen = now;
                }
                Err(e) => tracing::error!(error = %e, "certificate reload failed"),
            }
        }
    }
}

/// A certificate's validity (`notBefore`, `notAfter`), seconds since
/// 1970, read from its DER encoding.
pub fn validity(cert: &CertificateDer<'_>) -> Option<(i64, i64)> {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version?,
    // serialNumber, signature, issuer, validity SEQUENCE { notBefore,
    // notAfter }, … } … }
    let (_, cert_body, _) = der(cert.as_ref())?;
    let (_, mut tbs, _) = der(cert_body)?;
    let (tag, _, rest) = der(tbs)?;
    if tag == 0xa0 {
        tbs = rest; // explicit version
    }
    let (_, _, rest) = der(tbs)?; // serial
    let (_, _, rest) = der(rest)?; // signature algorithm
    let (_, _, rest) = der(rest)?; // issuer
    let (tag, validity, _) = der(rest)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, start, rest) = der(validity)?;
    let not_before = der_time(tag, start)?;
    let (tag, end, _) = der(rest)?;
    Some((not_before, der_time(tag, end)?))
}

/// UTCTime (0x17) or GeneralizedTime (0x18), `…Z`.
fn der_time(tag: u8, time: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(time).ok()?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i64 = text.get(0..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(0..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let n = |r: std::ops::Range<usize>| rest.get(r)?.parse::<i64>().ok();
    let (month, day, hour, minute, second) = (n(0..2)?, n(2..4)?, n(4..6)?, n(6..8)?, n(8..10)?);
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// One DER element: (tag, contents, what follows).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let body = input.get(header..header.checked_add(len)?)?;
    Some((tag, body, &input[header + len..]))
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(days: i64) -> (String, String) {
        let mut params = rcgen::CertificateParams::new(vec!["refuge.test".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        let end = time_of(1_767_225_600 + days * 86_400);
        params.not_after = end;
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn time_of(secs: i64) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn dates_and_validity() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 1, 1) * 86_400, 1_767_225_600);
        for days in [1, 90, 400, 30_000] {
            let (cert, key) = make(days);
            let store = CertStore::default();
            let until = store.set_pem(cert.as_bytes(), key.as_bytes()).unwrap();
            assert_eq!(until, 1_767_225_600 + days * 86_400, "{days} days (UTCTime and GeneralizedTime)");
            assert_eq!(store.not_after(), Some(until));
        }
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (cert, _) = make(10);
        let (_, other_key) = make(10);
        let err = CertStore::default().set_pem(cert.as_bytes(), other_key.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("does not belong"), "{err}");
        let err = CertStore::default().set_pem(b"hello", b"").unwrap_err().to_string();
        assert!(err.contains("no certificate"), "{err}");
    }
}
