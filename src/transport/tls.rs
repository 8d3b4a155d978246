//! The one TLS policy for every connection: certificates are always
//! verified, against the system roots or a configured private CA; TLS 1.2 at
//! least. There is no switch to turn verification off.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// What a finished handshake established, for `account check`.
#[derive(Debug, Clone)]
pub struct Handshake {
    pub version: String,
    pub certificate_sha256: String,
}

/// The PEM certificates of a private CA.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading the CA file {}", path.display()))?
        .collect::<std::result::Result<_, _>>()
        .with_context(|| format!("reading the CA file {}", path.display()))?;
    if certs.is_empty() {
        bail!("the CA file {} holds no certificate", path.display());
    }
    Ok(certs)
}

pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in read_ca_file(path)? {
                roots.add(cert).context("adding the private CA")?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                bail!("no system CA certificates found (install ca-certificates, or set ca_file)");
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("configuring TLS")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// HTTPS as sealpost speaks it to web endpoints (a domain's autoconfig
/// document, an OAuth2 provider): verified TLS with `client_config`, never
/// plain HTTP, no redirects followed. Callers set their own time limits.
pub fn https_agent(ca_file: Option<&Path>) -> Result<ureq::AgentBuilder> {
    Ok(ureq::AgentBuilder::new()
        .tls_config(client_config(ca_file)?)
        .https_only(true)
        .redirects(0)
        .user_agent(concat!("sealpost/", env!("CARGO_PKG_VERSION"))))
}

/// A TCP connection with timeouts, so a silent server cannot hang a command.
pub fn connect_tcp(host: &str, port: u16) -> Result<TcpStream> {
    let addrs: Vec<_> = (host, port).to_socket_addrs().with_context(|| format!("resolving {host}"))?.collect();
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(tcp) => {
                tcp.set_read_timeout(Some(TIMEOUT))?;
                tcp.set_write_timeout(Some(TIMEOUT))?;
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(anyhow!("cannot connect to {host}:{port}: {}", last.map_or("no address".to_string(), |e| e.to_string())))
}

/// Runs the TLS handshake over `tcp` to completion, verifying the server's
/// certificate for `host`.
pub fn handshake(tcp: TcpStream, host: &str, ca_file: Option<&Path>) -> Result<(TlsStream, Handshake)> {
    let name = ServerName::try_from(host.to_string()).with_context(|| format!("{host:?} is not a host name"))?;
    let mut conn = ClientConnection::new(client_config(ca_file)?, name).context("starting TLS")?;
    let mut tcp = tcp;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(|e| anyhow!("TLS with {host} failed: {e}"))?;
    }
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => "unknown".to_string(),
    };
    let certificate_sha256 = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| {
            use sha2::Digest;
            sha2::Sha256::digest(c.as_ref()).iter().map(|b| format!("{b:02X}")).collect::<String>()
        })
        .unwrap_or_default();
    Ok((StreamOwned::new(conn, tcp), Handshake { version, certificate_sha256 }))
}

/// Refuses a connection on which the server already sent more than its
/// reply to STARTTLS. Those bytes crossed the network in plaintext, so
/// anyone on the path may have written them; read after the handshake they
/// would pass for replies sent inside TLS (a response injection). The
/// plaintext part is read one byte at a time (`read_line`), so nothing of
/// them is buffered here: they are either still waiting on the socket, and
/// found now, or arrive later and break the TLS handshake.
pub fn refuse_pending_plaintext(tcp: &TcpStream, server: &str) -> Result<()> {
    tcp.set_nonblocking(true)?;
    let mut byte = [0u8; 1];
    let pending = tcp.peek(&mut byte);
    tcp.set_nonblocking(false)?;
    match pending {
        Ok(n) if n > 0 => bail!(
            "{server} sent data after agreeing to STARTTLS, before TLS started (a server fault, or someone \
             tampering with the connection); refusing to continue"
        ),
        // Closed (0) or nothing waiting: the handshake tells.
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Reads one CRLF-terminated line (for the plain part of STARTTLS probes).
pub fn read_line(stream: &mut impl Read) -> Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        if stream.read(&mut byte)? == 0 {
            bail!("the server closed the connection");
        }
        line.push(byte[0]);
        if line.len() > 8192 {
            bail!("the server sent an overlong line");
        }
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

pub fn write_line(stream: &mut impl Write, line: &str) -> Result<()> {
    stream.write_all(format!("{line}\r\n").as_bytes())?;
    stream.flush()?;
    Ok(())
}
