//! Mail settings a domain publishes in DNS: the SRV records of RFC 6186
//! (with RFC 8314's implicit-TLS submission), asked after the autoconfig
//! document and the built-in table (see `init`).
//!
//! Only the services with TLS exist here: `_imaps._tcp` (implicit TLS) or
//! `_imap._tcp` (STARTTLS, which sealpost then requires), and
//! `_submissions._tcp` or `_submission._tcp` likewise; implicit TLS wins
//! when both are published. Within a service the lowest priority wins, then
//! the highest weight. A target of "." says the service is not offered.
//! Both IMAP and SMTP must be found, or nothing is.
//!
//! DNS answers are not authenticated: what was found is shown as coming
//! from DNS and must be confirmed, and the servers' certificates are then
//! verified for the names found, as always. Servers outside the address's
//! domain (RFC 6186 section 6) must be confirmed by a person: `--yes` is
//! not enough for them.
//!
//! The query goes to the first nameservers of `/etc/resolv.conf` over UDP
//! (TCP when the answer is truncated), with a random id and the question
//! checked in the answer. The DNS messages are built and read by
//! hickory-proto. `SEALPOST_DNS_SERVER=ADDR:PORT` sends the queries to
//! that server instead (a local test resolver).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

use crate::config::Security;
use crate::provider::{Endpoint, Provider};

/// How long one query waits for its answer…
const TIMEOUT: Duration = Duration::from_secs(2);
/// …and the whole lookup at most.
const LOOKUP: Duration = Duration::from_secs(6);
/// At most this many nameservers are asked.
const SERVERS: usize = 2;

/// The IMAP and SMTP servers `address`'s domain publishes, or `None` when
/// it publishes none (or DNS cannot be asked).
pub fn lookup(address: &str) -> Result<Option<Provider>> {
    let (_, domain) = address.rsplit_once('@').context("not an email address")?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let Some(resolver) = Resolver::from_system()? else { return Ok(None) };
    let find = |services: [(&str, Security); 2]| -> Result<Option<Endpoint>> {
        for (service, security) in services {
            // "." (not offered) leaves the other service to ask.
            if let Some(Some((host, port))) = resolver.service(&format!("{service}._tcp.{domain}"))? {
                return Ok(Some((host, port, security)));
            }
        }
        Ok(None)
    };
    // Both are needed: without IMAP, SMTP is not asked.
    let Some(imap) = find([("_imaps", Security::Tls), ("_imap", Security::Starttls)])? else { return Ok(None) };
    let Some(smtp) = find([("_submissions", Security::Tls), ("_submission", Security::Starttls)])? else {
        return Ok(None);
    };
    let mut outside: Vec<&str> = [imap.0.as_str(), smtp.0.as_str()]
        .into_iter()
        .filter(|host| *host != domain && !host.ends_with(&format!(".{domain}")))
        .collect();
    outside.dedup();
    let confirm_in_person = (!outside.is_empty()).then(|| {
        format!(
            "the DNS answer (which nothing authenticates) names servers outside {domain} ({}); a password \
             sent there leaves your provider",
            outside.join(", ")
        )
    });
    Ok(Some(Provider {
        name: format!("DNS SRV records of {domain} (not authenticated: check the server names)"),
        imap,
        smtp,
        imap_username: None,
        smtp_username: None,
        sent_folder: None,
        note: None,
        oauth2: None,
        confirm_in_person,
    }))
}

struct Resolver {
    servers: Vec<SocketAddr>,
    /// Servers that did not answer are not asked again: without a network,
    /// the whole lookup costs one timeout per server.
    silent: std::cell::RefCell<Vec<SocketAddr>>,
    /// When the lookup gives up, however the servers answer.
    deadline: Instant,
}

impl Resolver {
    fn from_system() -> Result<Option<Resolver>> {
        if let Ok(server) = std::env::var("SEALPOST_DNS_SERVER") {
            let server = server.parse().context("reading SEALPOST_DNS_SERVER (expected ADDR:PORT)")?;
            return Ok(Some(Resolver {
                servers: vec![server],
                silent: Default::default(),
                deadline: Instant::now() + LOOKUP,
            }));
        }
        let Ok(conf) = std::fs::read_to_string("/etc/resolv.conf") else { return Ok(None) };
        let servers: Vec<SocketAddr> = conf
            .lines()
            .filter_map(|line| line.trim().strip_prefix("nameserver"))
            .filter_map(|rest| rest.trim().split('%').next()?.parse::<std::net::IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, 53))
            .take(SERVERS)
            .collect();
        let deadline = Instant::now() + LOOKUP;
        Ok((!servers.is_empty()).then_some(Resolver { servers, silent: Default::default(), deadline }))
    }

    /// The best target of the SRV records at `name`: `None` when there are
    /// none, `Some(None)` when the domain says the service is not offered.
    /// A server that cannot be reached counts as no records.
    fn service(&self, name: &str) -> Result<Option<Option<(String, u16)>>> {
        for server in &self.servers {
            if self.silent.borrow().contains(server) {
                continue;
            }
            match ask(*server, name, self.deadline) {
                Ok(answer) => return best(&answer),
                Err(_) => self.silent.borrow_mut().push(*server),
            }
        }
        Ok(None)
    }
}

/// The best SRV target in an answer (see `Resolver::service`).
fn best(answer: &Message) -> Result<Option<Option<(String, u16)>>> {
    let mut records: Vec<_> = answer
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::SRV(srv) => Some(srv),
            _ => None,
        })
        .collect();
    records.sort_by_key(|srv| (srv.priority, std::cmp::Reverse(srv.weight)));
    let Some(srv) = records.first() else { return Ok(None) };
    let target = srv.target.to_ascii().trim_end_matches('.').to_ascii_lowercase();
    if target.is_empty() {
        return Ok(Some(None));
    }
    if !target.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') || srv.port == 0 {
        bail!("the DNS SRV record names an unusable server ({}, port {})", crate::sanitize::line(&target), srv.port);
    }
    Ok(Some(Some((target, srv.port))))
}

/// The time left before `deadline` (at most one query's timeout), or an
/// error once it passed.
fn left(deadline: Instant) -> Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now()).min(TIMEOUT);
    if left.is_zero() {
        bail!("the DNS lookup took too long");
    }
    Ok(left)
}

/// Asks `server` for the SRV records at `name`, giving up at `deadline`.
fn ask(server: SocketAddr, name: &str, deadline: Instant) -> Result<Message> {
    let mut id = [0u8; 2];
    openssl::rand::rand_bytes(&mut id)?;
    let id = u16::from_be_bytes(id);
    let question = Query::query(Name::from_ascii(format!("{name}."))?, RecordType::SRV);
    let mut query = Message::new(id, MessageType::Query, OpCode::Query);
    query.metadata.recursion_desired = true;
    query.add_query(question.clone());
    let bytes = query.to_vec()?;

    let local: SocketAddr = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse()?;
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    socket.send(&bytes)?;
    let mut buffer = [0u8; 4096];
    let answer = loop {
        socket.set_read_timeout(Some(left(deadline)?))?;
        let n = socket.recv(&mut buffer)?;
        // Anything that is not the answer to this question is ignored.
        match Message::from_vec(&buffer[..n]) {
            Ok(answer) if answers(&answer, id, &question) => break answer,
            _ => continue,
        }
    };
    let answer =
        if answer.metadata.truncation { ask_over_tcp(server, &bytes, id, &question, deadline)? } else { answer };
    match answer.metadata.response_code {
        ResponseCode::NoError | ResponseCode::NXDomain => Ok(answer),
        code => bail!("the nameserver {server} answered {code}"),
    }
}

fn answers(answer: &Message, id: u16, question: &Query) -> bool {
    answer.metadata.id == id
        && answer.metadata.message_type == MessageType::Response
        && answer.queries.len() == 1
        && answer.queries[0].name().eq_case(question.name())
        && answer.queries[0].query_type() == RecordType::SRV
}

fn ask_over_tcp(server: SocketAddr, query: &[u8], id: u16, question: &Query, deadline: Instant) -> Result<Message> {
    let mut stream = TcpStream::connect_timeout(&server, left(deadline)?)?;
    stream.set_write_timeout(Some(left(deadline)?))?;
    let length = u16::try_from(query.len())?.to_be_bytes();
    stream.write_all(&[&length[..], query].concat())?;
    // Read piece by piece against the deadline: a server trickling its
    // answer cannot hold the lookup.
    let mut read_exactly = |buffer: &mut [u8]| -> Result<()> {
        let mut filled = 0;
        while filled < buffer.len() {
            stream.set_read_timeout(Some(left(deadline)?))?;
            match stream.read(&mut buffer[filled..])? {
                0 => bail!("the nameserver {server} closed the connection"),
                n => filled += n,
            }
        }
        Ok(())
    };
    let mut length = [0u8; 2];
    read_exactly(&mut length)?;
    let mut buffer = vec![0u8; u16::from_be_bytes(length) as usize];
    read_exactly(&mut buffer)?;
    let answer = Message::from_vec(&buffer)?;
    if !answers(&answer, id, question) {
        bail!("the nameserver {server} answered another question");
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::SRV;
    use hickory_proto::rr::Record;

    fn answer(records: &[(u16, u16, u16, &str)]) -> Message {
        let mut message = Message::new(7, MessageType::Response, OpCode::Query);
        for (priority, weight, port, target) in records {
            let name = Name::from_ascii("_imaps._tcp.example.org.").unwrap();
            // Labels as raw bytes, as a hostile server may send them.
            let labels: Vec<&[u8]> = target.split('.').filter(|l| !l.is_empty()).map(str::as_bytes).collect();
            let mut target = Name::from_labels(labels).unwrap();
            target.set_fqdn(true);
            let srv = SRV::new(*priority, *weight, *port, target);
            message.answers.push(Record::from_rdata(name, 60, RData::SRV(srv)));
        }
        message
    }

    #[test]
    fn the_lowest_priority_then_the_highest_weight_wins() {
        let found = best(&answer(&[
            (20, 0, 993, "b.example.org."),
            (10, 1, 993, "c.example.org."),
            (10, 5, 994, "a.example.org."),
        ]));
        assert_eq!(found.unwrap(), Some(Some(("a.example.org".to_string(), 994))));
    }

    #[test]
    fn a_dot_target_means_not_offered_and_no_records_mean_nothing_published() {
        assert_eq!(best(&answer(&[(0, 0, 0, ".")])).unwrap(), Some(None));
        assert_eq!(best(&answer(&[])).unwrap(), None);
    }

    #[test]
    fn a_target_that_is_no_host_name_is_refused() {
        assert!(best(&answer(&[(0, 0, 993, "imap evil.example.org.")])).is_err());
    }
}
