//! Submission over SMTP (lettre), with TLS required and verified: implicit
//! TLS, or STARTTLS that must be offered and must succeed before anything
//! else is said. Authentication happens only inside TLS.
//!
//! Nothing the server sent before the TLS handshake may be read as a reply
//! after it: a line injected after "220 Ready to start TLS" would shift every
//! later reply, and a refusal of the message (552) could pass for its
//! acceptance. lettre 0.11 kept such lines in its read buffer; the patched
//! copy in `vendor/lettre` (see `Cargo.toml`) refuses the connection, and
//! `probe` does the same for `account check`.

use anyhow::{anyhow, Context, Result};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport as _};

use super::tls::{self, Handshake};
use super::{Refused, Transport};
use crate::account::{Login, Method};
use crate::config::{Security, Server};

pub struct Smtp {
    transport: SmtpTransport,
    from: String,
    /// `host:port`, for messages.
    server: String,
    /// How it logs in, for the advice on a refused login.
    method: Method,
}

impl Smtp {
    pub fn new(server: &Server, from: &str, login: &Login) -> Result<Smtp> {
        let mut params = TlsParameters::builder(server.host.clone());
        if let Some(ca) = &server.ca_file {
            params = params.certificate_store(CertificateStore::None);
            let pem = std::fs::read(ca).with_context(|| format!("reading the CA file {}", ca.display()))?;
            params = params.add_root_certificate(
                Certificate::from_pem(&pem).map_err(|e| anyhow!("the CA file {} is not usable: {e}", ca.display()))?,
            );
        }
        let params = params.build_rustls().map_err(|e| anyhow!("configuring TLS for SMTP: {e}"))?;
        let tls = match server.security {
            Security::Tls => Tls::Wrapper(params),
            Security::Starttls => Tls::Required(params),
        };
        // XOAUTH2 carries the access token; a password goes with PLAIN or
        // LOGIN (lettre's default), always inside TLS.
        let mechanisms = match login.method {
            Method::Password => vec![Mechanism::Plain, Mechanism::Login],
            Method::OAuth2 => vec![Mechanism::Xoauth2],
        };
        let transport = SmtpTransport::builder_dangerous(&server.host)
            .port(server.port)
            .tls(tls)
            .credentials(Credentials::new(login.username.clone(), login.secret.to_string()))
            .authentication(mechanisms)
            .timeout(Some(tls::TIMEOUT))
            .build();
        Ok(Smtp {
            transport,
            from: from.to_string(),
            server: format!("{}:{}", server.host, server.port),
            method: login.method,
        })
    }

    /// Connects, secures, logs in and quits, for `account check`.
    pub fn check_login(&self) -> Result<()> {
        self.transport.test_connection().map_err(|e| self.error(&e))?;
        Ok(())
    }

    /// A permanent refusal (5xx) as [`Refused`]; anything else, which a
    /// retry may get past, as a plain error.
    fn error(&self, e: &lettre::transport::smtp::Error) -> anyhow::Error {
        match e.status() {
            Some(code) if e.is_permanent() => {
                let code = code.to_string().parse().unwrap_or(500);
                let reply = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
                Refused { server: self.server.clone(), code, reply, oauth2: self.method == Method::OAuth2 }.into()
            }
            _ => anyhow!("SMTP submission failed at {}: {}", self.server, describe(e)),
        }
    }
}

impl Transport for Smtp {
    fn deliver(&mut self, recipient: &str, raw: &[u8]) -> Result<()> {
        let envelope = Envelope::new(
            Some(self.from.parse().context("the sender address")?),
            vec![recipient.parse().context("the recipient address")?],
        )
        .map_err(|e| anyhow!("building the envelope: {e}"))?;
        self.transport.send_raw(&envelope, raw).map_err(|e| self.error(&e))?;
        Ok(())
    }
}

/// lettre's error with its causes, which carry the TLS reason.
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Connects, secures and greets the server without sending anything, for
/// `account check`: the TLS version and certificate it presented.
pub fn probe(server: &Server) -> Result<Handshake> {
    let mut tcp = tls::connect_tcp(&server.host, server.port)?;
    let (mut stream, handshake) = match server.security {
        Security::Tls => tls::handshake(tcp, &server.host, server.ca_file.as_deref())?,
        Security::Starttls => {
            expect_reply(&mut tcp, "220")?;
            tls::write_line(&mut tcp, "EHLO sealpost.invalid")?;
            let lines = expect_reply(&mut tcp, "250")?;
            if !lines.iter().any(|l| l[4..].trim().eq_ignore_ascii_case("STARTTLS")) {
                anyhow::bail!(
                    "{}:{} does not offer STARTTLS; refusing to continue without TLS",
                    server.host,
                    server.port
                );
            }
            tls::write_line(&mut tcp, "STARTTLS")?;
            expect_reply(&mut tcp, "220")?;
            tls::refuse_pending_plaintext(&tcp, &format!("{}:{}", server.host, server.port))?;
            tls::handshake(tcp, &server.host, server.ca_file.as_deref())?
        }
    };
    if server.security == Security::Tls {
        expect_reply(&mut stream, "220")?;
    }
    let _ = tls::write_line(&mut stream, "QUIT");
    Ok(handshake)
}

/// Reads a (multi-line) SMTP reply and checks its code.
fn expect_reply(stream: &mut impl std::io::Read, code: &str) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let line = tls::read_line(stream)?;
        if line.len() < 4 || !line.starts_with(code) {
            anyhow::bail!("unexpected SMTP reply: {line}");
        }
        let last = line.as_bytes()[3] == b' ';
        lines.push(line);
        if last {
            return Ok(lines);
        }
    }
}
