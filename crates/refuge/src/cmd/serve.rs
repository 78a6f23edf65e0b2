//! `refuge serve`

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::app::{App, StartOptions, shutdown_signal};
use crate::cli::DataArg;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Address and port to listen on [default: 127.0.0.1:8080, or `addr` in refuge.toml].
    #[arg(long, env = "REFUGE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Start a new data folder empty instead of with the demo site.
    #[arg(long)]
    pub no_demo: bool,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let mut config = Config::load(&args.data.data)?;
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let app = App::build(config.clone(), StartOptions { no_demo: args.no_demo, ..StartOptions::default() }).await?;
        println!();
        println!("  Refuge is running: {}/", app.base_url);
        println!("  Data folder:       {}", config.data_dir.display());
        println!("  Back office:       {}/admin/", app.base_url);
        if let Some(first) = &app.first_account {
            println!();
            println!("  An admin account was created. Its password is shown only this once:");
            println!("      e-mail:   {}", first.email);
            println!("      password: {}", first.password);
            println!("  Sign in and change it, or set one with:");
            println!("      refuge user passwd {} --password-stdin --data {}", first.email, config.data_dir.display());
        }
        if let Some(inbox) = &app.first_inbox {
            println!();
            println!("  The contact inbox is encrypted. Its passphrase, shown only this once:");
            println!("      {}", inbox.passphrase);
            println!("  Keep it safe: without it no message can be read. (`refuge inbox keygen --help`");
            println!("  explains how to keep the private key off the server instead.)");
        }
        println!();
        println!("  Press Ctrl-C to stop.");
        println!();
        tracing::info!(addr = %app.addr, "listening");
        app.run(shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}
