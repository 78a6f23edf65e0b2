//! The encrypted inbox.
//!
//! Owns the organisation's key pair (X25519, age format) in the data
//! folder's `inbox/`: the public key (`public.txt`), and — only if messages
//! are to be read in the browser — the private key encrypted with a
//! passphrase (`identity.age`, age's scrypt recipient). A message is sealed
//! to the public key before it is stored; without the passphrase or the
//! private key file, nothing in the data folder reveals it.
//!
//! Knows nothing of HTTP or SQL.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::x25519;
use serde::{Deserialize, Serialize};

pub use age::x25519::Identity;

/// Why the inbox could not do something; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("the inbox has no public key ({0} is missing): run `refuge inbox keygen` to create one")]
    NoKey(PathBuf),
    #[error("the inbox key file {path} is not valid: {detail}")]
    BadKey { path: PathBuf, detail: String },
    #[error("the passphrase is not right")]
    WrongPassphrase,
    #[error(
        "there is no private key in the data folder: messages can only be read with `refuge inbox read --identity FILE`"
    )]
    NoIdentity,
    #[error("the message could not be decrypted: {0}")]
    Undecryptable(String),
    #[error("inbox files: {0}")]
    Io(#[from] std::io::Error),
}

/// What a writer sent, as sealed in the database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub name: String,
    pub reply_to: String,
    pub category: String,
    pub text: String,
    /// The site language it was written from.
    pub lang: String,
    pub join_list: bool,
    pub attachment_name: Option<String>,
    #[serde(skip)]
    pub attachment: Vec<u8>,
}

const MAGIC: &[u8] = b"REFUGE-MESSAGE-1\n";

impl Message {
    /// Header as JSON, then the attachment's bytes.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let header = serde_json::to_vec(self).unwrap_or_default();
        out.extend_from_slice(&(header.len() as u64).to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.attachment);
        out
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, InboxError> {
        let bad = || InboxError::Undecryptable("not a Refuge message".into());
        let rest = bytes.strip_prefix(MAGIC).ok_or_else(bad)?;
        let len = u64::from_be_bytes(rest.get(..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
        let header = rest.get(8..8 + len).ok_or_else(bad)?;
        let mut message: Message =
            serde_json::from_slice(header).map_err(|e| InboxError::Undecryptable(e.to_string()))?;
        message.attachment = rest[8 + len..].to_vec();
        Ok(message)
    }
}

/// The inbox folder of a data folder.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("inbox")
}

fn public_path(data_dir: &Path) -> PathBuf {
    folder(data_dir).join("public.txt")
}

fn identity_path(data_dir: &Path) -> PathBuf {
    folder(data_dir).join("identity.age")
}

/// A random passphrase: six groups of five letters and digits (~150 bits).
pub fn new_passphrase() -> String {
    let id = x25519::Identity::generate();
    let secret = id.to_string();
    let digest: String =
        secret.expose_secret().chars().skip(14).filter(|c| c.is_ascii_alphanumeric()).take(30).collect();
    digest
        .to_lowercase()
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// What `keygen` produced.
pub struct Generated {
    pub public_key: String,
    /// The passphrase protecting the private key kept in the data folder,
    /// if it is kept there.
    pub passphrase: Option<String>,
}

/// Creates the key pair. With `identity_file`, the private key is written
/// there (for the administrator to take off the server) and not kept in
/// the data folder; otherwise it is kept encrypted with a new passphrase.
/// `work_factor` is scrypt's log2(N) (tests use a small one).
pub fn keygen(data_dir: &Path, identity_file: Option<&Path>, work_factor: Option<u8>) -> Result<Generated, InboxError> {
    std::fs::create_dir_all(folder(data_dir))?;
    let identity = x25519::Identity::generate();
    let public_key = identity.to_public().to_string();
    let secret = identity.to_string();
    let passphrase = match identity_file {
        Some(path) => {
            write_private(path, format!("{}\n", secret.expose_secret()).as_bytes())?;
            // No private key stays in the data folder: one that cannot be
            // removed is an error, not a silent copy left on the server.
            match std::fs::remove_file(identity_path(data_dir)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
            None
        }
        None => {
            let passphrase = new_passphrase();
            let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.clone()));
            if let Some(n) = work_factor {
                recipient.set_work_factor(n);
            }
            let sealed = age::encrypt(&recipient, secret.expose_secret().as_bytes())
                .map_err(|e| InboxError::BadKey { path: identity_path(data_dir), detail: e.to_string() })?;
            write_private(&identity_path(data_dir), &sealed)?;
            Some(passphrase)
        }
    };
    std::fs::write(public_path(data_dir), format!("{public_key}\n"))?;
    Ok(Generated { public_key, passphrase })
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), InboxError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Whether the data folder has a public key.
pub fn has_key(data_dir: &Path) -> bool {
    public_path(data_dir).is_file()
}

/// The public key messages are sealed to.
pub fn recipient(data_dir: &Path) -> Result<x25519::Recipient, InboxError> {
    let path = public_path(data_dir);
    let text = std::fs::read_to_string(&path).map_err(|_| InboxError::NoKey(path.clone()))?;
    x25519::Recipient::from_str(text.trim()).map_err(|e| InboxError::BadKey { path, detail: e.to_string() })
}

/// Seals a message to the public key.
pub fn seal(recipient: &x25519::Recipient, message: &Message) -> Result<Vec<u8>, InboxError> {
    age::encrypt(recipient, &message.to_bytes()).map_err(|e| InboxError::Undecryptable(e.to_string()))
}

/// Opens the private key kept in the data folder with its passphrase.
pub fn unlock(data_dir: &Path, passphrase: &str) -> Result<x25519::Identity, InboxError> {
    let sealed = std::fs::read(identity_path(data_dir)).map_err(|_| InboxError::NoIdentity)?;
    let scrypt = age::scrypt::Identity::new(SecretString::from(passphrase.trim().to_owned()));
    let secret = age::decrypt(&scrypt, &sealed).map_err(|_| InboxError::WrongPassphrase)?;
    let text = String::from_utf8(secret).map_err(|_| InboxError::WrongPassphrase)?;
    x25519::Identity::from_str(text.trim()).map_err(|_| InboxError::WrongPassphrase)
}

/// Reads a private key file made by `keygen --identity-file`.
pub fn identity_from_file(path: &Path) -> Result<x25519::Identity, InboxError> {
    let text = std::fs::read_to_string(path)?;
    let line = text.lines().map(str::trim).find(|l| l.starts_with("AGE-SECRET-KEY-")).unwrap_or_default();
    x25519::Identity::from_str(line).map_err(|e| InboxError::BadKey { path: path.to_owned(), detail: e.to_string() })
}

/// What starts a text sealed by [`seal_text`].
pub const SEALED_TEXT: &str = "age-sealed:";

/// Seals a text to the public key, as text (the prefix, then the age file
/// in hex): what must wait somewhere in clear columns, such as a reply to
/// someone who wrote in, waiting in the outbox.
pub fn seal_text(recipient: &x25519::Recipient, text: &str) -> Result<String, InboxError> {
    let sealed = age::encrypt(recipient, text.as_bytes()).map_err(|e| InboxError::Undecryptable(e.to_string()))?;
    let mut out = String::with_capacity(SEALED_TEXT.len() + 2 * sealed.len());
    out.push_str(SEALED_TEXT);
    for b in sealed {
        out.push_str(&format!("{b:02x}"));
    }
    Ok(out)
}

/// Opens a text sealed by [`seal_text`].
pub fn open_text(identity: &x25519::Identity, sealed: &str) -> Result<String, InboxError> {
    let hex = sealed.strip_prefix(SEALED_TEXT).ok_or_else(|| InboxError::Undecryptable("not sealed".into()))?;
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| InboxError::Undecryptable("damaged".into()))?;
    let plain = age::decrypt(identity, &bytes).map_err(|e| InboxError::Undecryptable(e.to_string()))?;
    String::from_utf8(plain).map_err(|e| InboxError::Undecryptable(e.to_string()))
}

/// Opens a sealed message.
pub fn open(identity: &x25519::Identity, sealed: &[u8]) -> Result<Message, InboxError> {
    let plain = age::decrypt(identity, sealed).map_err(|e| InboxError::Undecryptable(e.to_string()))?;
    Message::from_bytes(&plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            name: "匿名".into(),
            reply_to: "me@example.org".into(),
            category: "help".into(),
            text: "MARKER-7f3a: my brother is held in a detention centre".into(),
            lang: "ja".into(),
            join_list: true,
            attachment_name: Some("photo.jpg".into()),
            attachment: vec![0xFF, 0xD8, 1, 2, 3],
        }
    }

    #[test]
    fn a_sealed_text_opens_only_with_the_key() {
        let identity = x25519::Identity::generate();
        let sealed = seal_text(&identity.to_public(), "to: kim@example.org\nMARKER 月曜に").unwrap();
        assert!(sealed.starts_with(SEALED_TEXT) && !sealed.contains("MARKER") && !sealed.contains("kim@"));
        assert_eq!(open_text(&identity, &sealed).unwrap(), "to: kim@example.org\nMARKER 月曜に");
        assert!(open_text(&x25519::Identity::generate(), &sealed).is_err());
        assert!(open_text(&identity, "plain").is_err());
    }

    #[test]
    fn sealed_with_the_public_key_opened_with_the_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let generated = keygen(dir.path(), None, Some(10)).unwrap();
        let passphrase = generated.passphrase.unwrap();
        assert!(passphrase.len() >= 29, "{passphrase}");
        let sealed = seal(&recipient(dir.path()).unwrap(), &message()).unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"MARKER-7f3a"));
        assert!(matches!(unlock(dir.path(), "wrong words"), Err(InboxError::WrongPassphrase)));
        let identity = unlock(dir.path(), &passphrase).unwrap();
        assert_eq!(open(&identity, &sealed).unwrap(), message());
        for entry in std::fs::read_dir(folder(dir.path())).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains("AGE-SECRET-KEY"), "no private key in clear");
        }
    }

    #[test]
    fn identity_kept_off_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("offline-key.txt");
        let generated = keygen(&dir.path().join("data"), Some(&file), None).unwrap();
        assert!(generated.passphrase.is_none());
        assert!(matches!(unlock(&dir.path().join("data"), "anything"), Err(InboxError::NoIdentity)));
        let sealed = seal(&recipient(&dir.path().join("data")).unwrap(), &message()).unwrap();
        assert_eq!(open(&identity_from_file(&file).unwrap(), &sealed).unwrap().text, message().text);
        assert!(matches!(recipient(dir.path()), Err(InboxError::NoKey(_))));
    }
}
