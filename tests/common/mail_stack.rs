//! A real Dovecot (IMAPS, IMAP+STARTTLS, LMTP) and Postfix (submission with
//! STARTTLS and SASL through Dovecot) on 127.0.0.1, with a throwaway CA, in a
//! temporary folder, on free ports; stopped when dropped.
//!
//! Without the servers installed the real-server tests are skipped with a
//! loud notice; with `SEALPOST_REQUIRE_MAIL_STACK=1` (set by `.ci/run`) a
//! missing or broken stack fails them instead.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const DOMAINS: &str = "practice.example client.example";
static POSTCONF: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub const PASSWORD: &str = "mail-password-123";

pub struct MailStack {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub imaps_port: u16,
    pub imap_starttls_port: u16,
    pub submission_port: u16,
    pub no_starttls_port: u16,
    dovecots: Vec<PathBuf>,
    postfix_dir: PathBuf,
    postfix_running: bool,
    /// The port of the OAuth2 provider Dovecot asks about tokens, when the
    /// stack takes OAuth2 sign-ins (`start_with_oauth2`).
    oauth2_port: Option<u16>,
}

/// A free port below the kernel's ephemeral range (32768 and up), so that an
/// outgoing connection of a parallel test cannot take it between the moment
/// it is chosen here and the moment a server binds it; each port is handed
/// out once per test process.
fn free_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let offset = (std::process::id() % 60) * 200;
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let port = (20_000 + (offset + n) % 12_000) as u16;
        if n >= 12_000 {
            panic!("no free loopback port found for the mail stack");
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts a daemon: its output goes to a file, not a pipe it would hold open.
fn daemon(cmd: &mut Command) -> Result<(), String> {
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    // One log per start: tests start daemons in parallel.
    let log = std::env::temp_dir().join(format!("sealpost-daemon-{}-{n}.log", std::process::id()));
    let file = std::fs::File::create(&log).unwrap();
    let status = cmd
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed ({status}): {output}"))
    }
}

fn have(binary: &str) -> bool {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].iter().any(|d| Path::new(d).join(binary).exists())
}

/// Starts the stack, or returns `None` (after saying so loudly) when the
/// servers are not installed and the stack is not required.
pub fn start(test: &str) -> Option<MailStack> {
    available(test).then(|| MailStack::launch(None))
}

/// Whether the stack can run here; when it cannot and is not required,
/// says so loudly.
fn available(test: &str) -> bool {
    let required = std::env::var("SEALPOST_REQUIRE_MAIL_STACK").is_ok_and(|v| v == "1");
    let installed = have("dovecot") && have("postfix") && have("openssl");
    let root = unsafe_is_root();
    if !installed || !root {
        let why = if !installed {
            "Dovecot/Postfix are not installed (apt-get install dovecot-imapd dovecot-lmtpd postfix openssl)"
        } else {
            "starting Postfix needs root"
        };
        if required {
            panic!("{test}: the real mail server suite is required here, but {why}");
        }
        eprintln!("\n*** SKIPPED {test}: {why}. The real-server suite did NOT run. ***\n");
        return false;
    }
    true
}

/// The stack with an OAuth2 provider beside it: Dovecot (and Postfix through
/// it) also takes XOAUTH2 and OAUTHBEARER logins, and asks the provider's
/// introspection endpoint whose each token is.
pub fn start_with_oauth2(test: &str) -> Option<(MailStack, super::oauth_provider::Provider)> {
    if !available(test) {
        return None;
    }
    let port = free_port();
    let stack = MailStack::launch(Some(port));
    let provider = super::oauth_provider::Provider::start(stack.path(), port);
    Some((stack, provider))
}

fn unsafe_is_root() -> bool {
    sh(Command::new("id").arg("-u")).trim() == "0"
}

impl MailStack {
    fn launch(oauth2_port: Option<u16>) -> MailStack {
        let dir = tempfile::Builder::new().prefix("sealpost-mail-").tempdir().unwrap();
        let base = dir.path().to_path_buf();
        sh(Command::new("chmod").arg("755").arg(&base));
        make_certificates(&base);
        let mut stack = MailStack {
            ca: base.join("ca.pem"),
            imaps_port: free_port(),
            imap_starttls_port: free_port(),
            submission_port: free_port(),
            no_starttls_port: free_port(),
            dovecots: Vec::new(),
            postfix_dir: base.join("postfix"),
            postfix_running: false,
            oauth2_port,
            dir,
        };
        let lmtp = free_port();
        let auth = free_port();
        let main = stack.start_dovecot(
            "dovecot",
            "server",
            stack.imaps_port,
            Some(stack.imap_starttls_port),
            Some((lmtp, auth)),
        );
        stack.dovecots.push(main);
        stack.start_postfix(lmtp, auth);
        for port in [stack.imaps_port, stack.imap_starttls_port, stack.submission_port, stack.no_starttls_port] {
            wait_for_port(port, &stack);
        }
        stack
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Another Dovecot presenting `cert` (e.g. "expired") on a new IMAPS port.
    pub fn extra_imaps(&mut self, cert: &str) -> u16 {
        let port = free_port();
        let dir = self.start_dovecot(&format!("dovecot-{cert}"), cert, port, None, None);
        self.dovecots.push(dir);
        wait_for_port(port, self);
        port
    }

    fn start_dovecot(
        &self,
        name: &str,
        cert: &str,
        imaps: u16,
        starttls: Option<u16>,
        lmtp_auth: Option<(u16, u16)>,
    ) -> PathBuf {
        let base = self.path();
        let dir = base.join(name);
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::create_dir_all(base.join("mail")).unwrap();
        sh(Command::new("chown").arg("mail:mail").arg(base.join("mail")));
        let hash = sh(Command::new("doveadm").args(["pw", "-s", "SHA512-CRYPT", "-p", PASSWORD])).trim().to_string();
        let users: String = ["ada@practice.example", "sam@client.example", "eve@client.example"]
            .iter()
            .map(|u| format!("{u}:{hash}::::::\n"))
            .collect();
        std::fs::write(dir.join("users"), users).unwrap();
        let mut conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/run\nlog_path = {d}/dovecot.log\ninfo_log_path = {d}/dovecot.log\n\
             listen = 127.0.0.1\nprotocols = imap{lmtp}\nssl = required\nssl_cert = <{b}/{cert}.pem\nssl_key = <{b}/server.key\n\
             disable_plaintext_auth = yes\nauth_mechanisms = plain login\nfirst_valid_uid = 8\n\
             mail_location = maildir:{b}/mail/%d/%n\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=SHA512-CRYPT {d}/users\n}}\n\
             userdb {{\n  driver = static\n  args = uid=mail gid=mail home={b}/mail/%d/%n\n}}\n\
             service imap-login {{\n  inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}\n  inet_listener imap {{\n    port = {plain}\n  }}\n}}\n",
            d = dir.display(),
            b = base.display(),
            lmtp = if lmtp_auth.is_some() { " lmtp" } else { "" },
            plain = starttls.unwrap_or(0),
        );
        if let (Some(port), Some(_)) = (self.oauth2_port, lmtp_auth) {
            conf =
                conf.replace("auth_mechanisms = plain login\n", "auth_mechanisms = plain login xoauth2 oauthbearer\n");
            conf =
                conf.replace("  driver = passwd-file\n", "  driver = passwd-file\n  mechanisms = plain login none\n");
            conf.push_str(&format!(
                "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {d}/oauth2.conf.ext\n}}\n",
                d = dir.display()
            ));
            std::fs::write(
                dir.join("oauth2.conf.ext"),
                format!(
                    "introspection_mode = post\nintrospection_url = https://localhost:{port}/introspect\n\
                     force_introspection = yes\nusername_attribute = email\nactive_attribute = active\n\
                     active_value = true\ntls_ca_cert_file = {b}/ca.pem\n",
                    b = base.display()
                ),
            )
            .unwrap();
        }
        if let Some((lmtp, auth)) = lmtp_auth {
            conf.push_str(&format!(
                "service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {lmtp}\n  }}\n}}\n\
                 service auth {{\n  inet_listener {{\n    address = 127.0.0.1\n    port = {auth}\n  }}\n}}\n"
            ));
        }
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        if let Err(e) = daemon(Command::new("dovecot").arg("-c").arg(dir.join("dovecot.conf"))) {
            panic!("{e}\n{}", std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default());
        }
        dir
    }

    fn start_postfix(&mut self, lmtp: u16, auth: u16) {
        let dir = self.postfix_dir.clone();
        let base = self.path().to_path_buf();
        std::fs::create_dir_all(dir.join("queue")).unwrap();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        sh(Command::new("chown").arg("postfix").arg(dir.join("data")));
        let master = std::fs::read_to_string("/etc/postfix/master.cf").unwrap();
        let mut lines: Vec<String> =
            master.lines().filter(|l| !l.starts_with("smtp      inet")).map(str::to_string).collect();
        lines.push(format!("127.0.0.1:{} inet n - n - - smtpd", self.submission_port));
        lines.push(format!(
            "127.0.0.1:{} inet n - n - - smtpd\n  -o smtpd_tls_security_level=none\n  -o smtpd_sasl_auth_enable=no",
            self.no_starttls_port
        ));
        std::fs::write(dir.join("master.cf"), lines.join("\n") + "\n").unwrap();
        let main = format!(
            "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
             myhostname = localhost\nmydestination =\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n\
             mynetworks = 127.0.0.0/8\nvirtual_mailbox_domains = {DOMAINS}\nvirtual_transport = lmtp:inet:127.0.0.1:{lmtp}\n\
             smtpd_tls_cert_file = {b}/server.pem\nsmtpd_tls_key_file = {b}/server.key\nsmtpd_tls_security_level = encrypt\n\
             smtpd_tls_auth_only = yes\nsmtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = inet:127.0.0.1:{auth}\n\
             smtpd_relay_restrictions = permit_sasl_authenticated, reject\nmaillog_file_prefixes = {b}\nmaillog_file = {d}/postfix.log\n\
             smtputf8_enable = no\nbiff = no\n",
            d = dir.display(),
            b = base.display(),
        );
        std::fs::write(dir.join("main.cf"), main).unwrap();
        // Postfix accepts only config folders its main config lists; keep the
        // ones still in use (other tests' stacks) and add this one.
        let _guard = POSTCONF.lock().unwrap_or_else(|e| e.into_inner());
        let listed = sh(Command::new("postconf").args(["-h", "alternate_config_directories"]));
        let mut dirs: Vec<String> =
            listed.split([' ', ',']).filter(|d| !d.is_empty() && Path::new(d).exists()).map(str::to_string).collect();
        dirs.push(dir.display().to_string());
        sh(Command::new("postconf").args(["-e", &format!("alternate_config_directories = {}", dirs.join(" "))]));
        self.postfix_start();
    }

    /// Stops Postfix (submission goes down); `start_submission` brings it back.
    pub fn stop_submission(&mut self) {
        if self.postfix_running {
            self.postfix_stop();
            self.postfix_running = false;
            let start = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", self.submission_port)).is_ok()
                && start.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    fn postfix_stop(&self) {
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(&self.postfix_dir)
            .arg("stop")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }

    /// Postfix logs why it did not start to its own log, not to the terminal.
    fn postfix_start(&mut self) {
        if let Err(e) = daemon(Command::new("postfix").arg("-c").arg(&self.postfix_dir).arg("start")) {
            panic!("{e}\n{}", self.logs());
        }
        self.postfix_running = true;
    }

    pub fn start_submission(&mut self) {
        self.postfix_start();
        wait_for_port(self.submission_port, self);
    }

    /// Sets a Postfix parameter (`postconf -e`) and restarts submission,
    /// so that the next connection runs with it.
    pub fn postconf(&mut self, setting: &str) {
        sh(Command::new("postconf").arg("-c").arg(&self.postfix_dir).args(["-e", setting]));
        self.stop_submission();
        self.start_submission();
    }

    /// Files delivered into a user's Maildir INBOX.
    pub fn delivered(&self, user: &str) -> Vec<PathBuf> {
        let (local, domain) = user.split_once('@').unwrap();
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(dir) = std::fs::read_dir(self.path().join("mail").join(domain).join(local).join(sub)) {
                files.extend(dir.map(|e| e.unwrap().path()));
            }
        }
        files.sort();
        files
    }

    /// Waits until `user`'s INBOX holds `count` messages (delivery is asynchronous).
    pub fn wait_delivered(&self, user: &str, count: usize) {
        let start = Instant::now();
        while self.delivered(user).len() < count {
            if start.elapsed() > Duration::from_secs(20) {
                panic!("{count} message(s) for {user} did not arrive\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn logs(&self) -> String {
        let mut text = String::new();
        for dir in &self.dovecots {
            text += &std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default();
        }
        text += &std::fs::read_to_string(self.postfix_dir.join("postfix.log")).unwrap_or_default();
        text
    }
}

impl Drop for MailStack {
    fn drop(&mut self) {
        if self.postfix_running {
            self.postfix_stop();
        }
        for dir in &self.dovecots {
            let _ = Command::new("doveadm")
                .arg("-c")
                .arg(dir.join("dovecot.conf"))
                .arg("stop")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

fn wait_for_port(port: u16, stack: &MailStack) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(20) {
            panic!("port {port} did not open\n{}", stack.logs());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// In `base`: a test CA (`ca.pem`, `ca.key`) and a server certificate it
/// signed (`server.pem`, `server.key`) for the host `names` (the first is
/// its common name).
pub fn ca_and_server_certificate(base: &Path, names: &[&str]) {
    let openssl = |args: &[&str]| sh(Command::new("openssl").current_dir(base).args(args));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "3",
        "-subj",
        "/CN=sealpost test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        &format!("/CN={}", names[0]),
    ]);
    std::fs::write(
        base.join("ext.cnf"),
        format!(
            "subjectAltName={}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
            names.iter().map(|n| format!("DNS:{n}")).collect::<Vec<_>>().join(",")
        ),
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "3",
        "-extfile",
        "ext.cnf",
    ]);
}

/// A CA, a server certificate for `localhost` only, and an expired one.
fn make_certificates(base: &Path) {
    let openssl = |args: &[&str]| sh(Command::new("openssl").current_dir(base).args(args));
    ca_and_server_certificate(base, &["localhost"]);
    // An expired certificate needs explicit dates: `openssl ca` takes them.
    std::fs::create_dir_all(base.join("ca-db")).unwrap();
    std::fs::write(base.join("ca-db/index.txt"), "").unwrap();
    std::fs::write(base.join("ca-db/serial"), "1000\n").unwrap();
    std::fs::write(
        base.join("ca.cnf"),
        format!(
            "[ca]\ndefault_ca = test\n[test]\ndatabase = {b}/ca-db/index.txt\nserial = {b}/ca-db/serial\nnew_certs_dir = {b}/ca-db\n\
             certificate = {b}/ca.pem\nprivate_key = {b}/ca.key\ndefault_md = sha256\npolicy = any\ncopy_extensions = none\n\
             x509_extensions = ext\n[any]\ncommonName = supplied\n[ext]\nsubjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
            b = base.display()
        ),
    )
    .unwrap();
    openssl(&[
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-in",
        "server.csr",
        "-out",
        "expired.pem",
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200201000000Z",
        "-notext",
    ]);
}
