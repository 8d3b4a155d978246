//! `init --email` looking up the settings the domain publishes (Mozilla
//! autoconfig) from real HTTPS servers on loopback: `openssl s_server -WWW`
//! serving documents, with a test CA. The lookups for the domain's hosts are
//! sent there with `SEALPOST_AUTOCONFIG_HOSTS`; certificates are verified.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{run_command, Person, World};

const SAM: &str = "sam@client.example";

/// A CA, and a server certificate it signed for the domain's hosts.
fn certificates(dir: &Path) -> PathBuf {
    common::mail_stack::ca_and_server_certificate(dir, &["client.example", "autoconfig.client.example"]);
    dir.join("ca.pem")
}

/// An HTTPS server serving the files under `root`, until dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(certs: &Path, root: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("openssl")
            .current_dir(root)
            .args(["s_server", "-quiet", "-WWW", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(certs.join("server.pem"))
            .arg("-key")
            .arg(certs.join("server.key"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Server { child, port };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("openssl s_server did not start");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn document(imap_socket: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="client.example">
    <domain>client.example</domain>
    <displayName>Client Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.client.example</hostname>
      <port>993</port>
      <socketType>{imap_socket}</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#
    )
}

/// Serves `text` where the first lookup asks (the query is part of the
/// file name for `s_server -WWW`).
fn at_autoconfig_host(root: &Path, text: &str) {
    std::fs::create_dir_all(root.join("mail")).unwrap();
    std::fs::write(root.join("mail").join(format!("config-v1.1.xml?emailaddress={SAM}")), text).unwrap();
}

fn at_well_known(root: &Path, text: &str) {
    std::fs::create_dir_all(root.join(".well-known/autoconfig/mail")).unwrap();
    std::fs::write(root.join(".well-known/autoconfig/mail/config-v1.1.xml"), text).unwrap();
}

fn init(person: &Person, hosts: &str, ca: Option<&Path>) -> common::Run {
    let mut command = person.command();
    command.env("SEALPOST_AUTOCONFIG_HOSTS", hosts);
    command.args(["init", "--name", "Sam Lee", "--email", SAM, "--yes", "--kdf-work-factor", "10"]);
    if let Some(ca) = ca {
        command.arg("--ca-file").arg(ca);
    }
    run_command(&mut command, "")
}

fn have_openssl() -> bool {
    Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn init_takes_the_tls_settings_the_domain_publishes_and_refuses_plaintext() {
    if !have_openssl() {
        eprintln!("SKIPPED: the autoconfig tests need the openssl command (apt-get install openssl)");
        return;
    }
    let world = World::new();
    let certs = world.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let ca = certificates(&certs);
    let (first_root, second_root) = (world.path().join("autoconfig-host"), world.path().join("domain-host"));
    std::fs::create_dir_all(&first_root).unwrap();
    std::fs::create_dir_all(&second_root).unwrap();
    let first = Server::start(&certs, &first_root);
    let second = Server::start(&certs, &second_root);
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hosts = |autoconfig: u16, domain: u16| {
        format!("autoconfig.client.example=127.0.0.1:{autoconfig} client.example=127.0.0.1:{domain}")
    };

    // 1. autoconfig.DOMAIN answers: its settings, placeholders filled in.
    at_autoconfig_host(&first_root, &document("SSL"));
    let sam = world.bare_person("sam", SAM);
    let run = init(&sam, &hosts(first.port, second.port), Some(&ca));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Client Example Mail (found at https://autoconfig.client.example/mail/config-v1.1.xml)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("IMAP imap.client.example port 993 (TLS, login sam)"), "{}", run.stderr);
    assert!(run.stderr.contains("SMTP smtp.client.example port 587 (STARTTLS)"), "{}", run.stderr);
    let config = std::fs::read_to_string(sam.config_path()).unwrap();
    let imap = &config[config.find("[imap]").expect("an IMAP server is configured")..];
    assert!(imap.contains("host = \"imap.client.example\"") && imap.contains("port = 993"), "{config}");
    assert!(imap.contains("username = \"sam\""), "{config}");
    let smtp = &config[config.find("[smtp]").unwrap()..];
    assert!(smtp.contains("host = \"smtp.client.example\"") && smtp.contains("port = 587"), "{config}");

    // 2. Nothing at autoconfig.DOMAIN: the domain's well-known document.
    at_well_known(&second_root, &document("SSL").replace("Client Example Mail", "Well-known Mail"));
    let kim = world.bare_person("kim", SAM);
    let run = init(&kim, &hosts(closed, second.port), Some(&ca));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Well-known Mail (found at https://client.example/.well-known/autoconfig/mail/config-v1.1.xml)"),
        "{}",
        run.stderr
    );

    // 3. A document offering IMAP only without TLS: refused, nothing made.
    at_autoconfig_host(&first_root, &document("plain"));
    let lee = world.bare_person("lee", SAM);
    let run = init(&lee, &hosts(first.port, second.port), Some(&ca));
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("the IMAP server is offered only without TLS"), "{}", run.stderr);
    assert!(run.stderr.contains("Nothing was created"), "{}", run.stderr);
    assert!(!lee.config_path().exists() && !lee.home.join("data/keys.age").exists());

    // 4. A server whose certificate the system roots do not vouch for is
    // not believed: no settings from it.
    at_autoconfig_host(&first_root, &document("SSL"));
    let max = world.bare_person("max", SAM);
    let run = init(&max, &hosts(first.port, second.port), None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("found at"), "{}", run.stderr);
    assert!(!std::fs::read_to_string(max.config_path()).unwrap().contains("client.example\"\nport"));
    assert!(!std::fs::read_to_string(max.config_path()).unwrap().contains("[imap]"));
    drop((first, second));
}

/// A real nameserver on loopback (dnsmasq) answering with `records`
/// (`--srv-host` values), until dropped; `None` (said loudly) where dnsmasq
/// is not installed and the suite is not required.
struct Nameserver {
    child: Child,
    port: u16,
}

impl Nameserver {
    fn start(records: &[&str]) -> Option<Nameserver> {
        if !Path::new("/usr/sbin/dnsmasq").exists() {
            if std::env::var("SEALPOST_REQUIRE_MAIL_STACK").is_ok_and(|v| v == "1") {
                panic!(
                    "the SRV lookup test is required here, but dnsmasq is not installed (apt-get install dnsmasq-base)"
                );
            }
            eprintln!("\n*** SKIPPED: the SRV lookup test needs dnsmasq (apt-get install dnsmasq-base). ***\n");
            return None;
        }
        let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new("/usr/sbin/dnsmasq");
        command.args([
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--conf-file=/dev/null",
        ]);
        command.args(["--listen-address=127.0.0.1", &format!("--port={port}"), "--pid-file="]);
        if unsafe_is_root() {
            command.arg("--user=root");
        }
        for record in records {
            command.arg(format!("--srv-host={record}"));
        }
        let child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let server = Nameserver { child, port };
        // Ready once it answers over TCP on the same port.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("dnsmasq did not start");
    }
}

impl Drop for Nameserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unsafe_is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `init --yes` for `address` with `dns` as the nameserver, and no
/// autoconfig document to be found (its hosts are sent to a closed port).
fn init_by_dns(world: &World, dns: &Nameserver, role: &str, name: &str, address: &str) -> (Person, common::Run) {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let domain = address.split_once('@').unwrap().1;
    let person = world.bare_person(role, address);
    let mut command = person.command();
    command.env("SEALPOST_DNS_SERVER", format!("127.0.0.1:{}", dns.port));
    command.env(
        "SEALPOST_AUTOCONFIG_HOSTS",
        format!("autoconfig.{domain}=127.0.0.1:{closed} {domain}=127.0.0.1:{closed}"),
    );
    command.args(["init", "--name", name, "--email", address, "--yes", "--kdf-work-factor", "10"]);
    let run = run_command(&mut command, "");
    (person, run)
}

/// No autoconfig document and no table entry: the domain's DNS SRV records
/// (RFC 6186) give the servers, implicit TLS first, by priority and
/// weight; a service marked "not offered" leaves the other one.
#[test]
fn init_takes_the_servers_the_domains_srv_records_name() {
    let Some(dns) = Nameserver::start(&[
        "_imaps._tcp.srv.example,imap-backup.srv.example,993,20,0",
        "_imaps._tcp.srv.example,imap.srv.example,993,10,0",
        "_imap._tcp.srv.example,plain.srv.example,143,0,0",
        "_submissions._tcp.srv.example",
        "_submission._tcp.srv.example,smtp.srv.example,587,0,0",
        "_imaps._tcp.far.example,mail.elsewhere.example,993,0,0",
        "_submissions._tcp.far.example,mail.elsewhere.example,465,0,0",
    ]) else {
        return;
    };
    let world = World::new();
    let (pat, run) = init_by_dns(&world, &dns, "pat", "Pat", "pat@srv.example");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("DNS SRV records of srv.example"), "{run:?}");
    assert!(run.stderr.contains("not authenticated"), "{run:?}");
    let config: toml::Value = toml::from_str(&std::fs::read_to_string(pat.config_path()).unwrap()).unwrap();
    assert_eq!(config["imap"]["host"].as_str(), Some("imap.srv.example"), "{config}");
    assert_eq!(config["imap"]["port"].as_integer(), Some(993));
    assert_eq!(config["imap"]["security"].as_str(), Some("tls"));
    assert_eq!(config["smtp"]["host"].as_str(), Some("smtp.srv.example"));
    assert_eq!(config["smtp"]["port"].as_integer(), Some(587));
    assert_eq!(config["smtp"]["security"].as_str(), Some("starttls"));

    // Servers outside the domain, from an unauthenticated answer: `--yes`
    // is not enough; a person must confirm them. Nothing is created.
    let (lee, run) = init_by_dns(&world, &dns, "lee", "Lee", "lee@far.example");
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("outside far.example (mail.elsewhere.example)"), "{run:?}");
    assert!(run.stderr.contains("without --yes"), "{run:?}");
    assert!(!lee.home.exists() || common::files_under(&lee.home).is_empty(), "nothing was created");

    // A domain with no records: nothing is found, nothing is filled in.
    let (kim, run) = init_by_dns(&world, &dns, "kim", "Kim", "kim@nothing.example");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("SRV"), "{run:?}");
    let config: toml::Value = toml::from_str(&std::fs::read_to_string(kim.config_path()).unwrap()).unwrap();
    assert!(config.get("imap").is_none() && config.get("smtp").is_none(), "{config}");
}
