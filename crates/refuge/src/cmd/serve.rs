//! `refuge serve`

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::app::{App, StartOptions, shutdown_signal};
use crate::cli::DataArg;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Address and port to listen on [default: 127.0.0.1:8080, or `addr` in
    /// refuge.toml]. With a [tls] table in refuge.toml this address serves
    /// HTTPS (and `http_addr`, port 80 by default, plain HTTP).
    #[arg(long, env = "REFUGE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Start a new data folder empty instead of with the demo site.
    #[arg(long)]
    pub no_demo: bool,
}

/// Writes the first start's secrets to `path`, readable and writable by
/// this account only (created so, never widened afterwards).
fn write_secrets(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let mut config = args.data.config()?;
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    // Rendering and search run on blocking threads and are bound by the
    // CPU; more threads than a few per core only add memory (each grows
    // its own allocator arena under a burst of cache misses).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads((cores * 2).max(4)).build()?;
    runtime.block_on(async move {
        let app = App::build(config.clone(), StartOptions { no_demo: args.no_demo, ..StartOptions::default() }).await?;
        let mut banner = format!(
            "\n  Refuge is running: {}/\n  Data folder:       {}\n  Database:          {}\n  Back office:       {}/admin/\n",
            app.base_url,
            config.data_dir.display(),
            app.store.describe(),
            app.base_url
        );
        if let Some(plain) = app.http_addr {
            banner.push_str(&format!(
                "  Plain HTTP:        http://{plain}/ (redirects to HTTPS, answers the CA's checks)\n"
            ));
        }
        if let Some(socket) = &app.onion_socket {
            let onion = config.onion_address.as_deref().unwrap_or("set onion_address in refuge.toml");
            banner.push_str(&format!("  Onion service:     {} on {}\n", onion, socket.display()));
        }
        let mut secrets = String::new();
        if let Some(first) = &app.first_account {
            secrets.push_str(&format!(
                "\n  An admin account was created. Its password is shown only this once:\n      e-mail:   {}\n      \
                 password: {}\n  Sign in and change it, or set one with:\n      refuge user passwd {} --password-stdin --data {}\n",
                first.email,
                first.password,
                first.email,
                config.data_dir.display()
            ));
        }
        if let Some(inbox) = &app.first_inbox {
            secrets.push_str(&format!(
                "\n  The contact inbox is encrypted. Its passphrase, shown only this once:\n      {}\n  Keep it safe: \
                 without it no message can be read. (`refuge inbox keygen --help`\n  explains how to keep the private \
                 key off the server instead.)\n",
                inbox.passphrase
            ));
        }
        if !secrets.is_empty() {
            // A terminal shows them to the person starting Refuge; anything
            // else (a journal, a log file) would keep them on the server's
            // disk beside the inbox key: they go to a file only this account
            // can read, named here and on the dashboard until deleted.
            if std::io::stdout().is_terminal() {
                banner.push_str(&secrets);
            } else {
                let path = refuge_web::first_secrets_path(&config.data_dir);
                match write_secrets(&path, &secrets) {
                    Ok(()) => {
                        tracing::warn!(
                            file = %path.display(),
                            "the first admin password and the inbox passphrase were written to this file \
                             (readable only by this account): read them, keep them somewhere safe, then delete it"
                        );
                        banner.push_str(&format!(
                            "\n  The first admin password and the inbox passphrase are in\n      {}\n  (readable \
                             only by this account). Read them, keep them safe, then delete that file.\n",
                            path.display()
                        ));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, file = %path.display(), "could not write the first secrets");
                        anyhow::bail!(
                            "could not write the first admin password and inbox passphrase to {}: {e}. \
                             Start Refuge once in a terminal, or make the data folder writable",
                            path.display()
                        );
                    }
                }
            }
        }
        banner.push_str("\n  Press Ctrl-C to stop.\n\n");
        // A closed or full stdout (a supervisor that does not read it) must
        // not stop the server: the banner is best effort.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
        drop(out);
        tracing::info!(addr = %app.addr, "listening");
        app.run(shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}
