//! `refuge healthcheck`

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::DataArg;

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Address of the running server [default: `addr` from the settings,
    /// or `http_addr` when Refuge serves HTTPS itself].
    #[arg(long, env = "REFUGE_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
}

pub fn run(args: HealthcheckArgs) -> Result<ExitCode> {
    let addr = match args.addr {
        Some(a) => a,
        None => {
            let config = args.data.config()?;
            // With [tls], `addr` speaks TLS; the plain-HTTP listener
            // answers /healthz from the same process.
            if config.tls.is_some() { config.http_addr() } else { config.addr }
        }
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    match check(&addr, timeout) {
        Ok(()) => {
            println!("healthy: {addr}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("unhealthy: {addr}: {e:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn check(addr: &str, timeout: Duration) -> Result<()> {
    let target = addr.to_socket_addrs().context("not an address")?.next().context("the address resolves to nothing")?;
    let mut stream = TcpStream::connect_timeout(&target, timeout).context("no server answers there")?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut response = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut response).context("no complete answer")?;
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") { Ok(()) } else { anyhow::bail!("answered `{status}`") }
}
