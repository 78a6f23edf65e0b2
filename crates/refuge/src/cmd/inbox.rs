//! `refuge inbox …`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use refuge_core::MessageReads;

use crate::app::{StartOptions, open_data};
use crate::cli::DataArg;

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Create the inbox key pair.
    ///
    /// By default the private key is kept in the data folder, encrypted with
    /// a new passphrase that is printed once (messages can then be read in
    /// the back office). With --identity-file it is written to that file
    /// instead, for you to take off the server; messages are then read only
    /// with `refuge inbox read`. Messages sealed to an older key can only be
    /// read with that older key.
    Keygen(KeygenArgs),
    /// Decrypt and print every message, with a private key file.
    Read(ReadArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write the private key to this file and keep none in the data folder.
    #[arg(long, value_name = "FILE")]
    pub identity_file: Option<PathBuf>,
    /// Replace an existing key pair.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub data: DataArg,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The private key file (from `keygen --identity-file`).
    #[arg(long, value_name = "FILE")]
    pub identity: PathBuf,
    #[command(flatten)]
    pub data: DataArg,
}

pub fn run(command: InboxCommand) -> Result<ExitCode> {
    match command {
        InboxCommand::Keygen(args) => {
            let config = args.data.config()?;
            if refuge_inbox::has_key(&config.data_dir) && !args.force {
                bail!(
                    "the inbox already has a key; add --force to replace it (messages sealed to the old key then need the old key)"
                );
            }
            if let Some(path) = &args.identity_file
                && path.exists()
            {
                bail!("{} already exists; choose a new file name", path.display());
            }
            let generated = refuge_inbox::keygen(&config.data_dir, args.identity_file.as_deref(), None)?;
            println!("Inbox public key: {}", generated.public_key);
            match (generated.passphrase, &args.identity_file) {
                (Some(passphrase), _) => println!("Passphrase (shown only this once): {passphrase}"),
                (None, Some(path)) => println!("Private key written to {} — move it off this server.", path.display()),
                (None, None) => {}
            }
        }
        InboxCommand::Read(args) => {
            let config = args.data.config()?;
            let identity =
                refuge_inbox::identity_from_file(&args.identity).context("cannot read the private key file")?;
            let (store, _) = open_data(&config, &StartOptions { no_demo: true, ..StartOptions::default() })?;
            let (messages, _) = store.messages(0, u32::MAX)?;
            for meta in messages.iter().rev() {
                let sealed = store.sealed_message(meta.id)?.unwrap_or_default();
                match refuge_inbox::open(&identity, &sealed) {
                    Ok(m) => {
                        println!("── message {} · {} · {} · {}", meta.id, meta.received_at, m.category, m.lang);
                        println!(
                            "name: {}\nreply to: {}\nnewsletter: {}",
                            m.name,
                            m.reply_to,
                            if m.join_list { "yes" } else { "no" }
                        );
                        if let Some(name) = &m.attachment_name {
                            println!("attachment: {name} ({} bytes)", m.attachment.len());
                        }
                        println!("\n{}\n", m.text);
                    }
                    Err(e) => println!("── message {}: cannot be opened with this key ({e})\n", meta.id),
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
