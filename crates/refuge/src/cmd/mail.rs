//! `refuge mail …`

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use crate::cli::DataArg;
use crate::config::host_of;

/// The file the key is written to, in the data folder.
pub const DKIM_FILE: &str = "dkim.pem";

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Make a DKIM key, so receiving servers can check that mail from
    /// Refuge really comes from your domain.
    ///
    /// Writes the private key to dkim.pem in the data folder (readable by
    /// its owner only) and prints the DNS record to publish and the lines
    /// to add to refuge.toml. Signing starts at the next start of the
    /// server, once the record is published.
    #[command(name = "dkim-keygen")]
    DkimKeygen(DkimArgs),
}

#[derive(Debug, Args)]
pub struct DkimArgs {
    /// The selector: the record is published at SELECTOR._domainkey.DOMAIN.
    #[arg(long, default_value = "refuge")]
    pub selector: String,
    /// The domain mail is signed for (default: the domain of [smtp] from,
    /// else of base_url).
    #[arg(long)]
    pub domain: Option<String>,
    /// Replace an existing dkim.pem (mail signed with the old key then
    /// fails checks until the new record is published).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub data: DataArg,
}

pub fn run(command: MailCommand) -> Result<ExitCode> {
    match command {
        MailCommand::DkimKeygen(args) => {
            let config = args.data.config()?;
            let path = config.data_dir.join(DKIM_FILE);
            if path.exists() && !args.force {
                bail!("{} exists already; add --force to replace it", path.display());
            }
            let from_domain = config
                .smtp
                .as_ref()
                .map(|s| s.from.rsplit('@').next().unwrap_or_default().trim_end_matches('>').trim().to_owned())
                .filter(|d| !d.is_empty());
            let domain = args
                .domain
                .clone()
                .or(from_domain)
                .or_else(|| config.base_url.as_deref().map(host_of))
                .context("no domain: pass --domain example.org (or set [smtp] from in refuge.toml)")?;
            let selector = &args.selector;
            if selector.is_empty() || !selector.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                bail!("the selector may use only letters, digits and hyphens (got `{selector}`)");
            }
            eprintln!("making a 2048-bit RSA key ...");
            let (pem, record) = refuge_mail::dkim_keygen().map_err(anyhow::Error::msg)?;
            refuge_core::data_dir::create_private_dir(&config.data_dir)?;
            write_private(&path, &pem).with_context(|| format!("cannot write {}", path.display()))?;
            println!("The private key is in {} (keep it secret; backups include it).", path.display());
            println!();
            println!("1. Publish this DNS record (type TXT) at {selector}._domainkey.{domain}:");
            println!();
            println!("{selector}._domainkey.{domain}. IN TXT \"{}\"", split_txt(&record));
            println!();
            println!("2. Add these lines to the [smtp] table of {}:", config.data_dir.join("refuge.toml").display());
            println!();
            println!("dkim_key_file = \"{DKIM_FILE}\"");
            println!("dkim_selector = \"{selector}\"");
            println!("dkim_domain = \"{domain}\"");
            println!();
            println!("3. Restart Refuge. The README's section on mail explains SPF and DMARC too.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// DNS TXT strings are at most 255 bytes: a long value is written as
/// several quoted strings, which resolvers join.
fn split_txt(value: &str) -> String {
    value.as_bytes().chunks(250).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\" \"")
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_txt_values_are_split() {
        let value = "x".repeat(400);
        let split = super::split_txt(&value);
        assert_eq!(split.matches("\" \"").count(), 1);
        assert_eq!(split.replace("\" \"", ""), value);
    }
}
