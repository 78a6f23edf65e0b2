//! `refuge user …`

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use refuge_app::accounts;
use refuge_core::{Email, Language, Role, UserReads};

use crate::app::{StartOptions, open_data};
use crate::cli::DataArg;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    ///
    /// Without --password-stdin a strong password is generated and printed.
    Add(AddArgs),
    /// Set a new password for an account; every session of it ends.
    Passwd(PasswdArgs),
    /// Turn off two-step sign-in for an account (a lost phone); every
    /// session of it ends, and it signs in with its password alone until
    /// its owner turns two-step sign-in on again.
    #[command(name = "reset-2fa")]
    Reset2fa(Reset2faArgs),
    /// List accounts and their roles.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The account's e-mail address (used to sign in).
    pub email: String,
    /// admin (everything), editor (write and publish) or translator (translate, submit for review).
    #[arg(long, value_parser = ["admin", "editor", "translator"])]
    pub role: String,
    /// For translators: the languages they may translate into, e.g. `ja` or `ja,ko`.
    #[arg(long, value_delimiter = ',')]
    pub languages: Vec<String>,
    /// Read the password from the first line of standard input (at least 12 characters).
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub data: DataArg,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// The account's e-mail address.
    pub email: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub data: DataArg,
}

#[derive(Debug, Args)]
pub struct Reset2faArgs {
    /// The account's e-mail address.
    pub email: String,
    #[command(flatten)]
    pub data: DataArg,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub data: DataArg,
}

fn read_password(from_stdin: bool) -> Result<(String, bool)> {
    if !from_stdin {
        return Ok((refuge_core::secret::password(20), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok((password, false))
}

fn find(store: &refuge_store::SqlStore, email: &str) -> Result<refuge_core::User> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    store
        .users()?
        .into_iter()
        .find(|u| u.email.as_str().eq_ignore_ascii_case(email.as_str()))
        .with_context(|| format!("there is no account {email}; `refuge user list` shows them"))
}

fn store(data: &DataArg) -> Result<std::sync::Arc<refuge_store::SqlStore>> {
    let config = data.config()?;
    Ok(open_data(&config, &StartOptions { no_demo: true, ..StartOptions::default() })?.0)
}

pub fn run(command: UserCommand) -> Result<ExitCode> {
    match command {
        UserCommand::Add(args) => {
            let email = Email::parse(&args.email).map_err(anyhow::Error::msg)?;
            let role: Role = args.role.parse().map_err(anyhow::Error::msg)?;
            let languages = args
                .languages
                .iter()
                .map(|l| Language::parse(l).map_err(anyhow::Error::from))
                .collect::<Result<Vec<_>>>()?;
            let (password, generated) = read_password(args.password_stdin)?;
            let store = store(&args.data)?;
            let user = accounts::operator_adds(&*store, &email, role, &languages, &password, generated)?;
            println!("Created {} account {}.", user.role, user.email);
            if generated {
                println!("Password (shown only this once): {password}");
                println!("They choose their own password when they first sign in.");
            }
        }
        UserCommand::Passwd(args) => {
            let store = store(&args.data)?;
            let user = find(&store, &args.email)?;
            let (password, generated) = read_password(args.password_stdin)?;
            // The password and the end of the account's sessions, together.
            accounts::operator_sets_password(&*store, user.id, &password, generated)?;
            println!("Password of {} changed; its sessions ended.", user.email);
            if generated {
                println!("New password (shown only this once): {password}");
                println!("They choose their own password when they next sign in.");
            }
        }
        UserCommand::Reset2fa(args) => {
            let store = store(&args.data)?;
            let user = find(&store, &args.email)?;
            if !user.totp {
                println!("{} has no two-step sign-in; nothing was changed.", user.email);
                return Ok(ExitCode::SUCCESS);
            }
            accounts::operator_resets_two_step(&*store, user.id)?;
            println!(
                "Two-step sign-in is off for {}; its sessions ended. It signs in with its password alone \
                 until its owner turns two-step sign-in on again under My account.",
                user.email
            );
        }
        UserCommand::List(args) => {
            for user in store(&args.data)?.users()? {
                println!("{:<40} {}", user.email.as_str(), user.role);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
