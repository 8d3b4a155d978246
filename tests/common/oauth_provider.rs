//! A small OAuth2 provider on loopback for the sign-in tests: the device
//! authorization endpoint (RFC 8628), the token endpoint (device code and
//! refresh token grants, refresh tokens rotated on use) and the token
//! introspection endpoint (RFC 7662) that Dovecot's `oauth2` passdb asks
//! whether an access token is good and whose it is. HTTPS with the mail
//! stack's test certificate; the test plays the user in the browser with
//! `approve` and `deny`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub struct Provider {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    devices: Vec<Device>,
    /// Access token → (whose, still good).
    access: HashMap<String, (String, bool)>,
    /// Refresh token → whose; a used one is removed (rotation).
    refresh: HashMap<String, String>,
    issued: Vec<String>,
    counter: u64,
    /// `expires_in` of new access tokens.
    lifetime: u64,
    /// What was asked, in order: "device", "token:device_code",
    /// "token:refresh_token", "introspect:ok" / "introspect:refused".
    log: Vec<String>,
    port: u16,
    /// Form fields of the last device authorization request.
    device_request: HashMap<String, String>,
}

struct Device {
    device_code: String,
    user_code: String,
    answer: Answer,
}

#[derive(Clone, PartialEq)]
enum Answer {
    Waiting,
    Approved(String),
    Denied,
}

impl Provider {
    /// Serves on `port` of 127.0.0.1 with `server.pem`/`server.key` of
    /// `certificates` (the mail stack's folder).
    pub fn start(certificates: &Path, port: u16) -> Provider {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(certificates.join("server.pem")).unwrap().map(|c| c.unwrap()).collect();
        let key = PrivateKeyDer::from_pem_file(certificates.join("server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap(),
        );
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("binding the OAuth2 provider's port");
        let state = Arc::new(Mutex::new(State { lifetime: 3600, port, ..State::default() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, state) = (config.clone(), shared.clone());
                std::thread::spawn(move || serve(stream, config, state));
            }
        });
        Provider { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    /// The user signs in as `email` in the browser and enters `user_code`.
    pub fn approve(&self, user_code: &str, email: &str) {
        self.answer(user_code, Answer::Approved(email.to_string()));
    }

    /// The user declines in the browser.
    pub fn deny(&self, user_code: &str) {
        self.answer(user_code, Answer::Denied);
    }

    fn answer(&self, user_code: &str, answer: Answer) {
        let mut state = self.state.lock().unwrap();
        let device = state.devices.iter_mut().find(|d| d.user_code == user_code).expect("a code the provider gave");
        device.answer = answer;
    }

    /// New access tokens are issued for this many seconds.
    pub fn set_lifetime(&self, seconds: u64) {
        self.state.lock().unwrap().lifetime = seconds;
    }

    /// The user revokes the sign-in at the provider: every token stops.
    pub fn revoke_all(&self) {
        let mut state = self.state.lock().unwrap();
        state.refresh.clear();
        for (_, good) in state.access.values_mut() {
            *good = false;
        }
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// Every token handed out so far.
    pub fn issued(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }

    /// A field of the last device authorization request.
    pub fn device_request(&self, field: &str) -> Option<String> {
        self.state.lock().unwrap().device_request.get(field).cloned()
    }
}

fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>, state: Arc<Mutex<State>>) {
    let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let Ok(connection) = rustls::ServerConnection::new(config) else { return };
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    let Some((path, body)) = read_request(&mut stream) else { return };
    let form = parse_form(&body);
    let (status, reply) = respond(&path, &form, &mut state.lock().unwrap());
    let text = reply.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

fn respond(path: &str, form: &HashMap<String, String>, state: &mut State) -> (&'static str, serde_json::Value) {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let error = |code: &str| ("400 Bad Request", serde_json::json!({ "error": code }));
    match path {
        "/device" => {
            state.log.push("device".into());
            state.device_request = form.clone();
            state.counter += 1;
            let n = state.counter;
            let device = Device {
                device_code: format!("device-{n}-secret"),
                user_code: format!("WDJB-MJH{n}"),
                answer: Answer::Waiting,
            };
            let reply = serde_json::json!({
                "device_code": device.device_code, "user_code": device.user_code,
                "verification_uri": format!("https://localhost:{}/activate", state.port),
                "expires_in": 120, "interval": 1,
            });
            state.devices.push(device);
            ("200 OK", reply)
        }
        "/token" => match field("grant_type").as_str() {
            "urn:ietf:params:oauth:grant-type:device_code" => {
                state.log.push("token:device_code".into());
                let code = field("device_code");
                let Some(i) = state.devices.iter().position(|d| d.device_code == code) else {
                    return error("invalid_grant");
                };
                match state.devices[i].answer.clone() {
                    Answer::Waiting => error("authorization_pending"),
                    Answer::Denied => error("access_denied"),
                    Answer::Approved(email) => {
                        state.devices.remove(i);
                        ("200 OK", tokens(state, &email))
                    }
                }
            }
            "refresh_token" => {
                state.log.push("token:refresh_token".into());
                match state.refresh.remove(&field("refresh_token")) {
                    Some(email) => ("200 OK", tokens(state, &email)),
                    None => (
                        "400 Bad Request",
                        serde_json::json!({
                            "error": "invalid_grant", "error_description": "the refresh token was revoked",
                        }),
                    ),
                }
            }
            _ => error("unsupported_grant_type"),
        },
        "/introspect" => match state.access.get(&field("token")) {
            Some((email, true)) => {
                state.log.push("introspect:ok".into());
                ("200 OK", serde_json::json!({ "active": true, "email": email }))
            }
            _ => {
                state.log.push("introspect:refused".into());
                ("200 OK", serde_json::json!({ "active": false }))
            }
        },
        _ => ("404 Not Found", serde_json::json!({ "error": "not_found" })),
    }
}

fn tokens(state: &mut State, email: &str) -> serde_json::Value {
    state.counter += 1;
    let n = state.counter;
    let access = format!("access{n}x{:016x}", rand_u64());
    let refresh = format!("refresh{n}x{:016x}", rand_u64());
    state.access.insert(access.clone(), (email.to_string(), true));
    state.refresh.insert(refresh.clone(), email.to_string());
    state.issued.extend([access.clone(), refresh.clone()]);
    serde_json::json!({
        "access_token": access, "refresh_token": refresh, "token_type": "Bearer",
        "expires_in": state.lifetime, "scope": "imap smtp offline_access",
    })
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    hasher.finish()
}

/// The request line's path and the body (by Content-Length).
fn read_request(stream: &mut impl Read) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || data.len() > 64 * 1024 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..header_end]).to_string();
    let path = head.split_whitespace().nth(1)?.split('?').next()?.to_string();
    let length: usize = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
        .map_or(0, |(_, v)| v.trim().parse().unwrap_or(0));
    let mut body = data[header_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some((path, body))
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (unescape(k), unescape(v)))
        .collect()
}

fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}
