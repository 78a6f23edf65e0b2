//! S3-compatible buckets (AWS S3, Cloudflare R2, Backblaze B2, Google
//! Cloud Storage in S3 mode, DigitalOcean Spaces, a self-hosted Garage):
//! where `refuge publish` puts mirrors of the public site (`publish.rs`)
//! and where `refuge backup s3://…` keeps archives.
//!
//! The client is `object_store` (Apache Arrow project), which sends plain
//! S3 requests without the checksums some S3-compatible hosts refuse. Its
//! calls are async; the commands that use them run a runtime of their own.

pub mod media;
pub mod publish;
/// A throw-away Garage for tests: for tests only, never in the release binary.
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

pub use publish::{PublishOptions, PublishReport, publish};

/// What can go wrong with a bucket, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("{0:?} is not a bucket address: write s3://BUCKET or s3://BUCKET/PREFIX")]
    NotATarget(String),
    #[error(
        "no credentials for {0}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a credentials file \
         (credentials = \"/path\" in the mirror's [[mirrors]] table)"
    )]
    NoCredentials(String),
    #[error(
        "credentials file {path}: {problem} (it needs aws_access_key_id = … and aws_secret_access_key = …, \
         as in ~/.aws/credentials, or AWS_ACCESS_KEY_ID=… lines)"
    )]
    CredentialsFile { path: PathBuf, problem: String },
    #[error("{target}: {action} {key}: {hint}")]
    Store { target: String, action: &'static str, key: String, hint: String },
    #[error("{action} {path}: {source}")]
    File { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Other(String),
}

type Result<T> = std::result::Result<T, BucketError>;

/// A bucket and a folder in it: `s3://BUCKET/PREFIX`, with the host's
/// endpoint and region when it is not AWS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub bucket: String,
    /// Without leading or trailing slash; empty for the bucket's root.
    pub prefix: String,
    /// `https://s3.example.net` for hosts other than AWS (path-style
    /// requests); `None`: AWS S3.
    pub endpoint: Option<String>,
    /// The region the host expects (`us-east-1` when not given).
    pub region: Option<String>,
}

impl Target {
    /// Reads `s3://BUCKET/PREFIX`.
    pub fn parse(url: &str) -> Result<Self> {
        let not = || BucketError::NotATarget(url.to_owned());
        let rest = url.strip_prefix("s3://").ok_or_else(not)?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        let prefix = prefix.trim_matches('/');
        let prefix_ok = !prefix.split('/').any(|p| p.is_empty() || p == "." || p == "..") || prefix.is_empty();
        if !bucket_ok || !prefix_ok || prefix.contains(['?', '#', '\\']) {
            return Err(not());
        }
        Ok(Self { bucket: bucket.to_owned(), prefix: prefix.to_owned(), endpoint: None, region: None })
    }

    /// The object key of `name` under this target's prefix.
    pub fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() { name.to_owned() } else { format!("{}/{name}", self.prefix) }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

/// An access key. The secret is never printed.
#[derive(Clone)]
pub struct Credentials {
    key_id: String,
    secret: String,
    token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}, secret hidden)", self.key_id)
    }
}

impl Credentials {
    pub fn new(key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self { key_id: key_id.into(), secret: secret.into(), token: None }
    }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and
    /// `AWS_SESSION_TOKEN`) from the environment; `None` if either of the
    /// first two is missing.
    pub fn from_env() -> Option<Self> {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Some(Self {
            key_id: get("AWS_ACCESS_KEY_ID")?,
            secret: get("AWS_SECRET_ACCESS_KEY")?,
            token: get("AWS_SESSION_TOKEN"),
        })
    }

    /// A credentials file: `aws_access_key_id = …` and
    /// `aws_secret_access_key = …` (as in `~/.aws/credentials`; the first
    /// section that has them), or `AWS_ACCESS_KEY_ID=…` lines.
    pub fn from_file(path: &Path) -> Result<Self> {
        let problem = |problem: &str| BucketError::CredentialsFile { path: path.to_owned(), problem: problem.into() };
        let text = std::fs::read_to_string(path).map_err(|e| problem(&e.to_string()))?;
        Self::parse(&text).ok_or_else(|| problem("no access key in it"))
    }

    fn parse(text: &str) -> Option<Self> {
        let (mut key_id, mut secret, mut token) = (None, None, None);
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') && key_id.is_some() && secret.is_some() {
                break;
            }
            let Some((name, value)) = line.split_once('=') else { continue };
            let value = value.trim().trim_matches('"').to_owned();
            match name.trim().to_ascii_lowercase().trim_start_matches("export ") {
                "aws_access_key_id" => key_id = Some(value),
                "aws_secret_access_key" => secret = Some(value),
                "aws_session_token" => token = Some(value),
                _ => {}
            }
        }
        Some(Self { key_id: key_id.filter(|k| !k.is_empty())?, secret: secret.filter(|s| !s.is_empty())?, token })
    }
}

/// Headers stored with an object and sent by the host when it serves it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    pub content_type: String,
    pub cache_control: Option<String>,
    pub content_encoding: Option<String>,
}

/// An open bucket (and prefix).
#[derive(Clone)]
pub struct Bucket {
    store: Arc<AmazonS3>,
    target: Target,
}

impl Bucket {
    /// Opens `target` with `credentials`. Nothing is sent yet.
    pub fn open(target: &Target, credentials: &Credentials) -> Result<Self> {
        install_tls_provider();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&target.bucket)
            .with_region(target.region.as_deref().unwrap_or("us-east-1"))
            .with_access_key_id(&credentials.key_id)
            .with_secret_access_key(&credentials.secret);
        if let Some(token) = &credentials.token {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = &target.endpoint {
            let endpoint = endpoint.trim_end_matches('/');
            if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
                return Err(BucketError::Other(format!(
                    "--endpoint {endpoint:?}: write the host's S3 address with its scheme, e.g. https://s3.example.net"
                )));
            }
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder.build().map_err(|e| BucketError::Other(format!("{target}: {e}")))?;
        Ok(Self { store: Arc::new(store), target: target.clone() })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The object key of `name`, as it is: `ja/news/tag/人権/index.html`
    /// stays that, since a website endpoint looks up the decoded request
    /// path. (`Path::from` would store `%E4%BA%BA…` in the key.)
    fn key(&self, name: &str) -> Key {
        let key = self.target.key(name);
        Key::parse(&key).unwrap_or_else(|_| Key::from_iter(key.split('/')))
    }

    fn error(&self, action: &'static str, name: &str, e: object_store::Error) -> BucketError {
        BucketError::Store { target: self.target.to_string(), action, key: name.to_owned(), hint: hint(&e) }
    }

    /// The object `name`, or `None` if there is none.
    pub async fn get(&self, name: &str) -> Result<Option<Bytes>> {
        match self.store.get(&self.key(name)).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(|e| self.error("read", name, e))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("read", name, e)),
        }
    }

    /// Writes the object `name` with `headers`, replacing any.
    pub async fn put(&self, name: &str, bytes: Bytes, headers: &Headers) -> Result<()> {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, headers.content_type.clone().into());
        if let Some(cache) = &headers.cache_control {
            attributes.insert(Attribute::CacheControl, cache.clone().into());
        }
        if let Some(encoding) = &headers.content_encoding {
            attributes.insert(Attribute::ContentEncoding, encoding.clone().into());
        }
        let options = PutOptions { attributes, ..PutOptions::default() };
        self.store
            .put_opts(&self.key(name), PutPayload::from_bytes(bytes), options)
            .await
            .map(|_| ())
            .map_err(|e| self.error("write", name, e))
    }

    /// Removes the object `name`; one already gone is not an error.
    pub async fn delete(&self, name: &str) -> Result<()> {
        match self.store.delete(&self.key(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error("remove", name, e)),
        }
    }

    /// Every object under the prefix: its name (without the prefix) and
    /// how long ago it was written.
    pub async fn list(&self) -> Result<Vec<(String, std::time::Duration)>> {
        use futures_util::StreamExt;
        let prefix = (!self.target.prefix.is_empty()).then(|| Key::from_iter(self.target.prefix.split('/')));
        let mut stream = self.store.list(prefix.as_ref());
        let now = std::time::SystemTime::now();
        let mut out = Vec::new();
        while let Some(meta) = stream.next().await {
            let meta = meta.map_err(|e| self.error("list", "", e))?;
            let full = meta.location.as_ref();
            let name = match self.target.prefix.as_str() {
                "" => full,
                p => full.strip_prefix(p).and_then(|r| r.strip_prefix('/')).unwrap_or(full),
            };
            let written = std::time::SystemTime::from(meta.last_modified);
            out.push((name.to_owned(), now.duration_since(written).unwrap_or_default()));
        }
        Ok(out)
    }

    /// Uploads the file at `path` as `name` in parts (an archive may be
    /// larger than one request should carry); `progress` hears the bytes
    /// sent so far.
    pub async fn upload_file(&self, name: &str, path: &Path, progress: &(dyn Fn(u64) + Sync)) -> Result<u64> {
        use tokio::io::AsyncReadExt;
        let file_error = |source| BucketError::File { action: "read", path: path.to_owned(), source };
        let mut file = tokio::fs::File::open(path).await.map_err(file_error)?;
        let upload = self.store.put_multipart(&self.key(name)).await.map_err(|e| self.error("write", name, e))?;
        let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut sent = 0u64;
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = match file.read(&mut buffer).await {
                Ok(n) => n,
                Err(e) => {
                    writer.abort().await.ok();
                    return Err(file_error(e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(4).await {
                return Err(self.error("write", name, e));
            }
            writer.write(&buffer[..n]);
            sent += n as u64;
            progress(sent);
        }
        writer.finish().await.map_err(|e| self.error("write", name, e))?;
        Ok(sent)
    }

    /// Downloads the object `name` into the file at `path` (created);
    /// `None` if there is no such object.
    pub async fn download_file(
        &self,
        name: &str,
        path: &Path,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Option<u64>> {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let found = match self.store.get(&self.key(name)).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.error("read", name, e)),
        };
        let total = found.meta.size;
        let file_error = |source| BucketError::File { action: "write", path: path.to_owned(), source };
        let mut file = tokio::fs::File::create(path).await.map_err(file_error)?;
        let mut stream = found.into_stream();
        let mut got = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.error("read", name, e))?;
            file.write_all(&chunk).await.map_err(file_error)?;
            got += chunk.len() as u64;
            progress(got, total);
        }
        file.sync_all().await.map_err(file_error)?;
        Ok(Some(got))
    }
}

/// Makes ring the process's TLS provider, if none is yet. reqwest (the
/// client under `object_store`) is built without one of its own, so this
/// runs before any reqwest client is made — in tests too, since the
/// workspace shares that build of reqwest.
pub fn install_tls_provider() {
    // An error says a provider is installed already (an earlier call, or
    // another crate): either way one is.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Parts of 16 MiB: an archive of 160 GB stays under S3's 10,000 parts.
const PART_SIZE: usize = 16 << 20;

/// What an object store error means for the person running the command.
fn hint(e: &object_store::Error) -> String {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    let said = if lower.contains("403") || lower.contains("accessdenied") || lower.contains("invalidaccesskeyid") {
        "the host refused the credentials: check the access key and that it may read and write this bucket"
    } else if lower.contains("nosuchbucket") {
        "there is no such bucket: create it first, or check the name and --endpoint"
    } else if lower.contains("connection refused") || lower.contains("dns error") || lower.contains("connect") {
        "the host could not be reached: check --endpoint and the network"
    } else if lower.contains("authorizationheadermalformed") || lower.contains("region") {
        "the host expects another region: give it with --region"
    } else {
        ""
    };
    if said.is_empty() { text } else { format!("{said} ({text})") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_and_checked() {
        let t = Target::parse("s3://refuge-mirror/site/en").unwrap();
        assert_eq!((t.bucket.as_str(), t.prefix.as_str()), ("refuge-mirror", "site/en"));
        assert_eq!(t.key("index.html"), "site/en/index.html");
        assert_eq!(t.to_string(), "s3://refuge-mirror/site/en");
        let root = Target::parse("s3://mirror/").unwrap();
        assert_eq!((root.prefix.as_str(), root.key("a").as_str()), ("", "a"));
        assert_eq!(root.to_string(), "s3://mirror");
        for bad in ["mirror", "s3://", "s3://Upper", "s3://ab", "https://x.org/b", "s3://b-1/../x", "s3://b-1/a//b"] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(e.contains("s3://BUCKET/PREFIX"), "{bad}: {e}");
        }
    }

    #[test]
    fn credentials_files_of_either_kind_are_read_and_never_printed() {
        let aws =
            "[default]\naws_access_key_id = GK1\naws_secret_access_key = s3cr3t\n[other]\naws_access_key_id = X\n";
        let c = Credentials::parse(aws).unwrap();
        assert_eq!((c.key_id.as_str(), c.secret.as_str()), ("GK1", "s3cr3t"));
        let env = "export AWS_ACCESS_KEY_ID=\"GK2\"\nAWS_SECRET_ACCESS_KEY=abc\n";
        let c = Credentials::parse(env).unwrap();
        assert_eq!((c.key_id.as_str(), c.secret.as_str()), ("GK2", "abc"));
        assert!(!format!("{c:?}").contains("abc"));
        assert!(Credentials::parse("aws_access_key_id = only\n").is_none());
        let dir = tempfile::tempdir().unwrap();
        let e = Credentials::from_file(&dir.path().join("none")).unwrap_err().to_string();
        assert!(e.contains("aws_access_key_id"), "{e}");
    }
}
