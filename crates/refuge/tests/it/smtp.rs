//! A small SMTP server for the tests: it speaks enough of RFC 5321
//! (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for a real client to
//! deliver to it, on 127.0.0.1, and keeps what it receives.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A delivered e-mail.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
    /// The name the client gave in EHLO/HELO.
    pub helo: String,
}

impl Received {
    /// The text of the body, decoded from base64 or quoted-printable.
    pub fn body(&self) -> String {
        let (head, body) = self.data.split_once("\n\n").unwrap_or(("", &self.data));
        if head.to_ascii_lowercase().contains("content-transfer-encoding: base64") {
            String::from_utf8_lossy(&crate::browser::base64_decode(body)).into_owned()
        } else if head.to_ascii_lowercase().contains("content-transfer-encoding: quoted-printable") {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'='
                    && i + 2 < bytes.len()
                    && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        } else {
            body.to_owned()
        }
    }

    /// The value of header `name` (unfolded), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split_once("\n\n").map_or(self.data.as_str(), |(h, _)| h);
        let mut found: Option<String> = None;
        let mut collecting = false;
        for line in head.lines() {
            if collecting && (line.starts_with(' ') || line.starts_with('\t')) {
                if let Some(f) = &mut found {
                    f.push(' ');
                    f.push_str(line.trim());
                }
                continue;
            }
            collecting = false;
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
                && found.is_none()
            {
                found = Some(value.trim().to_owned());
                collecting = true;
            }
        }
        found
    }
}

pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Received>>>,
    /// Recipients refused for good (550), as a server refuses a dead address.
    pub reject: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<Received>>> = Arc::default();
        let reject: Arc<Mutex<Vec<String>>> = Arc::default();
        let store = mails.clone();
        let refused = reject.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                let refused = refused.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 localhost ESMTP test sink\r\n").await;
                    let mut to = Vec::new();
                    let mut helo = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            helo = line[4..].trim().to_owned();
                            b"250-localhost\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("HELO") || upper.starts_with("MAIL") || upper.starts_with("NOOP") {
                            b"250 OK\r\n"
                        } else if upper.starts_with("RSET") {
                            to.clear();
                            b"250 OK\r\n"
                        } else if upper.starts_with("RCPT") {
                            let address = line.split(['<', '>']).nth(1).unwrap_or_default().to_owned();
                            if refused.lock().unwrap().contains(&address) {
                                b"550 5.1.1 no such mailbox\r\n"
                            } else {
                                to.push(address);
                                b"250 OK\r\n"
                            }
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                                data.push('\n');
                            }
                            let helo = helo.clone();
                            store.lock().unwrap().push(Received { to: std::mem::take(&mut to), data, helo });
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"502 not implemented\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Self { port, mails, reject, task }
    }

    pub fn received(&self) -> Vec<Received> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits until `n` mails arrived (at most 10 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = std::time::Instant::now();
        while self.received().len() < n && started.elapsed() < std::time::Duration::from_secs(10) {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.received()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}
