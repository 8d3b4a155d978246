//! Signing in to the mail account with OAuth2, for providers that switched
//! off passwords (Microsoft 365, Outlook.com).
//!
//! `sealpost account login` runs the device authorization grant (RFC 8628):
//! it prints a web address and a short code, the user signs in on any
//! browser, and the provider hands back an access token and a refresh token.
//! Both are kept encrypted in the store, never in the config. Every command
//! that connects takes the access token, or a new one from the refresh token
//! when it is about to expire, and logs in to IMAP and SMTP with XOAUTH2.
//!
//! Only HTTPS endpoints are accepted, verified against the system roots (or
//! the `ca_file` of the `[oauth2]` section), with no redirects followed and
//! bounded replies. A sign-in that ended (the refresh token revoked or
//! expired) is a clear refusal naming `sealpost account login`; the outbox
//! keeps what could not be sent.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Result};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, DeviceAuthorizationUrl, RefreshToken, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::config::OAuth2;
use crate::error::Refusal;
use crate::store::Store;

/// The store document holding the tokens.
pub const TOKENS: &str = "oauth2-tokens.age";
/// At most this much of an endpoint's reply is read.
const MAX_REPLY: u64 = 64 * 1024;
/// An access token this close to its end is renewed first.
const MARGIN: Duration = Duration::from_secs(120);
/// How long a sign-in waits for the user, when the provider names no limit,
/// and at most.
const DEFAULT_WAIT: Duration = Duration::from_secs(15 * 60);
const LONGEST_WAIT: Duration = Duration::from_secs(30 * 60);
/// A token's lifetime is taken as at most this, whatever the provider says.
const LONGEST_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// What the store keeps of a sign-in. The endpoint and client are kept too:
/// tokens of another client or provider (the config changed) are not used.
#[derive(Serialize, Deserialize)]
struct Tokens {
    client_id: String,
    token_url: String,
    refresh_token: Zeroizing<String>,
    access_token: Zeroizing<String>,
    /// Seconds since the epoch.
    expires_at: u64,
}

impl Tokens {
    fn belong_to(&self, config: &OAuth2) -> bool {
        self.client_id == config.client_id && self.token_url == config.token_url
    }
}

/// Whether the store holds a sign-in for this configuration.
pub fn signed_in(config: &OAuth2, store: &Store) -> Result<bool> {
    Ok(store.read::<Tokens>(TOKENS)?.is_some_and(|t| t.belong_to(config)))
}

/// What the user must do to sign in: open `address` and enter `code`.
pub struct Prompt<'a> {
    pub address: &'a str,
    /// The address with the code in it, when the provider offers one.
    pub address_with_code: Option<&'a str>,
    pub code: &'a str,
    pub expires_in: Duration,
}

/// Runs the device authorization grant and keeps the tokens in the store.
/// `show` tells the user where to sign in; the call returns once they did,
/// refused, or the code expired. Nothing is stored unless it succeeded.
pub fn sign_in(config: &OAuth2, store: &Store, show: impl FnOnce(&Prompt)) -> Result<()> {
    config.check()?;
    let http = Http::new(config.ca_file.as_deref())?;
    let client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_device_authorization_url(DeviceAuthorizationUrl::new(config.device_authorization_url.clone())?)
        .set_token_uri(TokenUrl::new(config.token_url.clone())?);
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(config.scopes.iter().cloned().map(Scope::new))
        .request(&http)
        .map_err(|e| describe("asking the provider for a sign-in code", e))?;
    let address = details.verification_uri().as_str();
    let address_with_code = details.verification_uri_complete().map(|u| u.secret().as_str());
    for shown in std::iter::once(address).chain(address_with_code) {
        if !shown.starts_with("https://") {
            bail!(
                "the provider named a sign-in address that is not HTTPS ({}); not showing it",
                crate::sanitize::line(shown)
            );
        }
    }
    show(&Prompt {
        address: &crate::sanitize::line(address),
        address_with_code: address_with_code.map(crate::sanitize::line).as_deref(),
        code: &crate::sanitize::line(details.user_code().secret()),
        expires_in: details.expires_in(),
    });
    let wait = if details.expires_in().is_zero() { DEFAULT_WAIT } else { details.expires_in().min(LONGEST_WAIT) };
    // The provider's polling interval, within reason: never a busy loop,
    // never an hour's sleep.
    let pause =
        |interval: Duration| std::thread::sleep(interval.clamp(Duration::from_secs(1), Duration::from_secs(60)));
    let token = client
        .exchange_device_access_token(&details)
        .set_max_backoff_interval(Duration::from_secs(30))
        .request(&http, pause, Some(wait))
        .map_err(|e| match &e {
            RequestTokenError::ServerResponse(r) => match r.error().as_ref() {
                "access_denied" => anyhow!("the sign-in was declined in the browser; nothing was stored"),
                "expired_token" => anyhow!(
                    "the sign-in code expired before it was used; nothing was stored. Run `sealpost account login` again"
                ),
                _ => describe("waiting for the sign-in", e),
            },
            _ => describe("waiting for the sign-in", e),
        })?;
    let refresh_token = token.refresh_token().ok_or_else(|| {
        anyhow!("the provider gave no refresh token (is `offline_access` among the scopes?); nothing was stored")
    })?;
    store.write(
        TOKENS,
        &Tokens {
            client_id: config.client_id.clone(),
            token_url: config.token_url.clone(),
            refresh_token: Zeroizing::new(refresh_token.secret().clone()),
            access_token: Zeroizing::new(token.access_token().secret().clone()),
            expires_at: expiry(token.expires_in()),
        },
    )
}

/// Forgets the sign-in (the provider's session stays; revoke it there).
pub fn sign_out(store: &Store) -> Result<bool> {
    let had = store.read_bytes(TOKENS)?.is_some();
    if had {
        store.remove(TOKENS)?;
    }
    Ok(had)
}

/// Whether a token ending at `expires_at` (seconds since the epoch) is
/// still good for more than two minutes.
pub fn good_for_now(expires_at: u64) -> bool {
    SystemTime::now() + MARGIN < UNIX_EPOCH + Duration::from_secs(expires_at)
}

/// A current access token and when it ends: the stored one, or a new one
/// from the refresh token when it ends within two minutes (kept in the
/// store when the store can be written).
pub fn access_token(config: &OAuth2, store: &Store) -> Result<(Zeroizing<String>, u64)> {
    config.check()?;
    let tokens = store.read::<Tokens>(TOKENS)?.filter(|t| t.belong_to(config)).ok_or_else(|| {
        Refusal::locked(
            "this account signs in with OAuth2 and is not signed in yet: run `sealpost account login` \
             (a web address and a code are shown; sign in on any browser)",
        )
    })?;
    if good_for_now(tokens.expires_at) {
        return Ok((tokens.access_token, tokens.expires_at));
    }
    let http = Http::new(config.ca_file.as_deref())?;
    let client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::new(config.token_url.clone())?);
    let renewed = client
        .exchange_refresh_token(&RefreshToken::new(tokens.refresh_token.to_string()))
        .add_scopes(config.scopes.iter().cloned().map(Scope::new))
        .request(&http)
        .map_err(|e| match &e {
            RequestTokenError::ServerResponse(r) if *r.error() == BasicErrorResponseType::InvalidGrant => {
                Refusal::locked(format!(
                    "the OAuth2 sign-in has ended ({}); run `sealpost account login` to sign in again",
                    crate::sanitize::line(r.error_description().map_or("invalid_grant", |d| d.as_str()))
                ))
            }
            RequestTokenError::Request(_) => Refusal::queued(format!(
                "{:#}; nothing was sent or fetched, try again later",
                describe("renewing the OAuth2 access token", e)
            )),
            _ => describe("renewing the OAuth2 access token", e),
        })?;
    let access = Zeroizing::new(renewed.access_token().secret().clone());
    let expires_at = expiry(renewed.expires_in());
    let fresh = Tokens {
        refresh_token: renewed
            .refresh_token()
            .map(|r| Zeroizing::new(r.secret().clone()))
            .unwrap_or_else(|| tokens.refresh_token.clone()),
        access_token: access.clone(),
        expires_at,
        ..tokens
    };
    // A provider that rotates refresh tokens may refuse the old one next
    // time; say so when the new one cannot be kept.
    if let Err(e) = store.write(TOKENS, &fresh) {
        crate::error::warn(&format!(
            "the renewed OAuth2 tokens could not be stored ({e:#}); the next command may need `sealpost account login`"
        ));
    }
    Ok((access, expires_at))
}

/// The XOAUTH2 initial response (Google's and Microsoft's SASL mechanism).
pub fn xoauth2(username: &str, token: &str) -> Zeroizing<String> {
    Zeroizing::new(format!("user={username}\x01auth=Bearer {token}\x01\x01"))
}

fn expiry(expires_in: Option<Duration>) -> u64 {
    // Without a lifetime, assume the common hour; a refused token is
    // renewed at the next command all the same.
    let lifetime = expires_in.unwrap_or(Duration::from_secs(3600)).min(LONGEST_LIFETIME);
    (SystemTime::now() + lifetime).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn describe<RE: std::error::Error + 'static, T: oauth2::ErrorResponse + 'static>(
    doing: &str,
    e: RequestTokenError<RE, T>,
) -> anyhow::Error {
    match e {
        RequestTokenError::ServerResponse(r) => {
            anyhow!("{doing}: the provider answered {}", crate::sanitize::line(&r.to_string()))
        }
        RequestTokenError::Request(e) => anyhow!("{doing}: {}", crate::sanitize::line(&format!("{e}"))),
        RequestTokenError::Parse(e, _) => {
            anyhow!("{doing}: the provider's reply is not understood ({})", crate::sanitize::line(&e.to_string()))
        }
        RequestTokenError::Other(e) => anyhow!("{doing}: {}", crate::sanitize::line(&e)),
    }
}

/// HTTPS for the token endpoints: verified TLS with our roots, no
/// redirects, bounded replies. Error statuses (an OAuth2 error reply is a
/// 400) are handed to the oauth2 crate as replies, not as failures.
struct Http(ureq::Agent);

#[derive(Debug)]
struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

impl Http {
    fn new(ca_file: Option<&Path>) -> Result<Http> {
        Ok(Http(
            crate::transport::tls::https_agent(ca_file)?
                .timeout_connect(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .build(),
        ))
    }
}

impl oauth2::SyncHttpClient for Http {
    type Error = HttpError;

    fn call(&self, request: oauth2::HttpRequest) -> std::result::Result<oauth2::HttpResponse, HttpError> {
        let url = request.uri().to_string();
        let mut call = match *request.method() {
            oauth2::http::Method::POST => self.0.post(&url),
            _ => self.0.get(&url),
        };
        for (name, value) in request.headers() {
            let value = value.to_str().map_err(|_| HttpError(format!("header {name} is not text")))?;
            call = call.set(name.as_str(), value);
        }
        let reply = match call.send_bytes(request.body()) {
            Ok(reply) | Err(ureq::Error::Status(_, reply)) => reply,
            // ureq's message names the address itself.
            Err(ureq::Error::Transport(e)) => return Err(HttpError(format!("cannot reach the provider: {e}"))),
        };
        let mut builder = oauth2::http::Response::builder().status(reply.status());
        if let Some(kind) = reply.header("content-type") {
            builder = builder.header("content-type", kind);
        }
        let mut body = Vec::new();
        reply
            .into_reader()
            .take(MAX_REPLY)
            .read_to_end(&mut body)
            .map_err(|e| HttpError(format!("reading the reply of {url}: {e}")))?;
        builder.body(body).map_err(|e| HttpError(e.to_string()))
    }
}

impl OAuth2 {
    /// Endpoints must be HTTPS and a client id given.
    pub fn check(&self) -> Result<()> {
        if self.client_id.trim().is_empty() {
            bail!("the [oauth2] section of the config has no client_id (see README, \"OAuth2\")");
        }
        for (name, url) in
            [("device_authorization_url", &self.device_authorization_url), ("token_url", &self.token_url)]
        {
            if !url.starts_with("https://") {
                bail!("[oauth2] {name} must be an https:// address, not {url}");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xoauth2_response_names_the_user_and_the_token() {
        assert_eq!(*xoauth2("ada@practice.example", "tok"), "user=ada@practice.example\x01auth=Bearer tok\x01\x01");
    }

    #[test]
    fn a_providers_lifetime_is_taken_as_a_day_at_most() {
        let day_ahead = expiry(Some(Duration::from_secs(24 * 3600)));
        assert_eq!(expiry(Some(Duration::MAX)), day_ahead);
        assert!(good_for_now(day_ahead) && !good_for_now(expiry(Some(Duration::from_secs(60)))));
    }

    #[test]
    fn plain_http_endpoints_are_refused() {
        let config = OAuth2 {
            client_id: "id".into(),
            device_authorization_url: "https://login.example/device".into(),
            token_url: "http://login.example/token".into(),
            scopes: vec![],
            ca_file: None,
        };
        assert!(config.check().unwrap_err().to_string().contains("must be an https:// address"));
        let config = OAuth2 { token_url: "https://login.example/token".into(), ..config };
        config.check().unwrap();
        assert!(OAuth2 { client_id: " ".into(), ..config }.check().is_err());
    }
}
