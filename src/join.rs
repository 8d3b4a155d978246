//! The join handshake, on both sides (DESIGN.md, "Verification and pinning").
//!
//! 1. The joiner sends a request: the token and its key, encrypted with the
//!    password derived from the code's secret. The inviter keeps that key
//!    with the invite and pins nothing yet: anyone who learned the code's
//!    password could have written the request.
//! 2. The inviter answers with its key, encrypted to the joiner's key and the
//!    password. The joiner accepts it only if the key is the one whose
//!    fingerprint is in the code, and only if the answer was encrypted to its
//!    own key (else its request was replaced on the way), and pins it.
//! 3. The joiner sends the auth secret and its fingerprint, encrypted to the
//!    inviter's key and signed.
//! 4. The inviter checks secret, signer and fingerprint: the signer must be
//!    the key of the request, so a key swapped in step 1 fails here, and
//!    leaves no pin behind. Only then does it pin the joiner, verified, and
//!    confirm; the confirmation, signed by the key
//!    from the code, makes the joiner pin the inviter verified.
//!
//! Anything that does not check out is refused with the reason, changes no
//! pin, and (where the other side can be told safely) is answered with a
//! signed refusal encrypted with the code's password.

use std::time::SystemTime;

use anyhow::{Context, Result};
use sequoia_openpgp::crypto::Password;
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::Cert;

use crate::config::Config;
use crate::contacts::{now, Contacts, PinState, Verification};
use crate::invite::{fingerprint_matches, Invite, InviteCode, InviteState, Invites, Join, JoinStage, Joins};
use crate::keys;
use crate::message::handshake::{self, Handshake, HandshakeDraft, Step};
use crate::message::{new_message_id, open_with, Content, Opened, Seal};
use crate::outbox::{self, Outgoing, Queued};
use crate::store::Store;

/// Runs the handshake steps found among fetched messages.
pub struct Handshaker<'a> {
    store: &'a Store,
    config: &'a Config,
    pub invites: Invites,
    pub joins: Joins,
    /// Whether anything was queued to send.
    pub queued: bool,
    /// Whether invites, joins or contacts changed and must be saved.
    pub changed: bool,
}

/// Which secret opened a message.
enum Opener {
    Invite(String),
    Join,
}

impl<'a> Handshaker<'a> {
    pub fn load(store: &'a Store, config: &'a Config) -> Result<Handshaker<'a>> {
        Ok(Handshaker {
            store,
            config,
            invites: Invites::load(store)?,
            joins: Joins::load(store)?,
            queued: false,
            changed: false,
        })
    }

    pub fn save(&self) -> Result<()> {
        self.invites.save(self.store)?;
        self.joins.save(self.store)
    }

    /// The passwords of the invites and joins still under way (open or
    /// answered, not expired), with what they open. Each password costs a
    /// key derivation per message the user's key cannot open, so finished,
    /// revoked and expired ones are not tried: a message cannot make sync
    /// pay for every invite ever made.
    fn passwords(&self) -> (Vec<Password>, Vec<Opener>) {
        let invites = self
            .invites
            .invites
            .iter()
            .filter(|i| !i.expired() && matches!(i.state, InviteState::Open | InviteState::Answered { .. }))
            .map(|i| (&i.secret, Opener::Invite(i.token.clone())));
        let joins = self
            .joins
            .joins
            .iter()
            .filter(|j| j.expires_at > now())
            .filter(|j| matches!(j.stage, JoinStage::RequestSent { .. } | JoinStage::AuthSent { .. }))
            .map(|j| (&j.secret, Opener::Join));
        invites.chain(joins).map(|(secret, opener)| (handshake::password_for(secret), opener)).unzip()
    }

    /// Handles `raw` when it is a handshake step; returns a line for the
    /// user, or `None` when it is an ordinary message.
    pub fn handle(&mut self, contacts: &mut Contacts, raw: &[u8], opened: &Opened) -> Result<Option<String>> {
        let me = self.store.my_keys();
        let (passwords, openers) = self.passwords();
        let (first, opener) = match opened.content.as_ref().and_then(|c| c.handshake.as_ref()) {
            Some(_) => (opened.clone(), None),
            None if opened.seal == Seal::Undecryptable && !passwords.is_empty() => {
                let (opened, used) = open_with(raw, me, contacts, Vec::new(), &passwords);
                (opened, used.map(|i| &openers[i]))
            }
            None => return Ok(None),
        };
        let Some(content) = first.content.as_ref().filter(|c| c.handshake.is_some()) else {
            return Ok(None);
        };
        // The key the step must be signed by: the one it carries (request,
        // answer, refusal), or for a proof the key of the join request it
        // belongs to, which is not pinned until the proof checks out.
        let carried = handshake::carried_key(content);
        let claimed = content.handshake.as_ref().expect("checked above");
        let expected = carried.clone().or_else(|| match claimed.step {
            Step::Auth => self.requested_key(claimed.token.as_deref().unwrap_or_default()),
            _ => None,
        });
        let second = match &expected {
            Some(key) => open_with(raw, me, contacts, vec![key.clone()], &passwords).0,
            None => first.clone(),
        };
        let content = second.content.clone().unwrap_or_else(|| content.clone());
        let step = content.handshake.clone().expect("checked above");
        // Only a signature that was checked names a signer; the issuer an
        // unchecked signature claims proves nothing.
        let signer = match &second.seal {
            Seal::Signed { signer } => Some(signer.clone()),
            _ => None,
        };
        let signed_by_expected =
            expected.as_ref().is_some_and(|k| signer.as_deref() == Some(k.fingerprint().to_hex().as_str()));
        let by_password = opener.is_some();
        let digest = second.content_sha256.clone().unwrap_or_default();
        let step_in = Incoming {
            content: &content,
            step: &step,
            signer,
            carried,
            expected,
            signed_by_expected,
            by_password,
            digest,
        };
        let line = match (step.step, opener) {
            (Step::Request, Some(Opener::Invite(token))) => self.on_request(contacts, &token.clone(), &step_in)?,
            (Step::Answer, _) => self.on_answer(contacts, &step_in)?,
            (Step::Refused, _) => self.on_refused(&step_in),
            (Step::Auth, None) => self.on_auth(contacts, &step_in)?,
            (Step::Confirm, None) => self.on_confirm(contacts, &step_in),
            (other, _) => format!("ignored a join {other:?} message that does not fit any invite or join of yours"),
        };
        self.changed = true;
        Ok(Some(line))
    }

    /// The key of the join request an invite was answered for.
    fn requested_key(&self, token: &str) -> Option<Cert> {
        match &self.invites.by_token(token)?.state {
            InviteState::Answered { key: Some(armored), .. } => Cert::from_bytes(armored.as_bytes()).ok(),
            _ => None,
        }
    }

    fn on_request(&mut self, contacts: &mut Contacts, token: &str, step: &Incoming<'_>) -> Result<String> {
        let invite = self.invites.by_token(token).cloned().expect("the password came from this invite");
        let from = step.content.from_address.clone().unwrap_or_default();
        let shown = crate::sanitize::line(&from);
        if step.step.token.as_deref() != Some(invite.token.as_str()) {
            return Ok(format!("ignored a join request from {shown}: it names no invite of yours (unknown token)"));
        }
        // The same request again (a provider re-delivering it with a new
        // outer Message-ID, say) is answered once, never twice.
        if invite.requests.contains(&step.digest) {
            return Ok(format!("ignored a join request from {shown} that was handled before (a replay)"));
        }
        self.invites.by_token_mut(token).expect("exists").requests.push(step.digest.clone());
        // Nothing is sent back unless the request is signed by a key made
        // out for the address it came from: otherwise anyone holding an old
        // code could have the user's account mail any address.
        let Some(key) = step.carried.clone().filter(|_| step.signed_by_expected) else {
            return Ok(format!("ignored a join request from {shown}: it is not signed by a key it carries"));
        };
        if from.is_empty() || keys::check_usable(&key, &from).is_err() {
            return Ok(format!("ignored a join request from {shown}: the key it carries is not a usable key for it"));
        }
        let not_open = match &invite.state {
            InviteState::Answered { address, fingerprint, .. }
                if *address == from && *fingerprint == key.fingerprint().to_hex() =>
            {
                return Ok(format!("join request from {from} was answered before; nothing to do"));
            }
            InviteState::Revoked { .. } => Some("the invite was revoked"),
            InviteState::Open if invite.expired() => Some("the invite has expired"),
            InviteState::Open => None,
            _ => Some("the invite was already used"),
        };
        if let Some(reason) = not_open {
            return Ok(format!("ignored a join request from {from}: {reason} (a closed invite is not answered)"));
        }
        if invite.for_address.as_ref().is_some_and(|a| *a != from) {
            return self.refuse_request(&invite, &from, &key, "the invite is for another address");
        }
        let fingerprint = key.fingerprint().to_hex();
        if contacts.by_address(&from).is_some_and(|c| c.fingerprint != fingerprint) {
            let reason = format!("{from} is already pinned with another key; check their key in person instead");
            return self.refuse_request(&invite, &from, &key, &reason);
        }
        let armored = String::from_utf8(key.armored().to_vec().context("armoring the requested key")?)?;
        let nonce = handshake::new_nonce();
        self.send(
            Step::Answer,
            &from,
            &invite.token,
            Fields { nonce: Some(handshake::seal_nonce(&nonce, &key)?), ..Fields::default() },
            &[&key],
            Some(&handshake::password_for(&invite.secret)),
        )?;
        let entry = self.invites.by_token_mut(token).expect("exists");
        entry.state = InviteState::Answered {
            address: from.clone(),
            fingerprint,
            at: now(),
            key: Some(armored),
            nonce: Some(nonce),
        };
        Ok(format!("join request from {from}: answered with your key; waiting for their proof (step 3)"))
    }

    /// Refuses a request to an open invite, telling the requester (whose
    /// key is made out for `from`), at most `MAX_REFUSALS` times per invite.
    fn refuse_request(&mut self, invite: &Invite, from: &str, key: &Cert, reason: &str) -> Result<String> {
        let told = self.send_refusal(invite, from, reason, Some(key))?;
        let told = if told { "" } else { " (not told: enough refusals were sent for this invite)" };
        Ok(format!("refused a join request from {from}: {reason}{told}"))
    }

    fn on_answer(&mut self, contacts: &mut Contacts, step: &Incoming<'_>) -> Result<String> {
        let token = step.step.token.clone().unwrap_or_default();
        let Some(join) = self.joins.by_token_mut(&token).filter(|j| matches!(j.stage, JoinStage::RequestSent { .. }))
        else {
            return Ok("ignored an answer to a join request you did not send (or already answered)".to_string());
        };
        let join = join.clone();
        let refuse = |me: &mut Self, reason: String| -> String {
            let j = me.joins.by_token_mut(&token).expect("exists");
            j.stage = JoinStage::Refused { reason: reason.clone(), at: now() };
            format!("join with {}: REFUSED: {reason}", join.inviter_address)
        };
        if join.expires_at <= now() {
            return Ok(refuse(self, "the invite code expired before the answer came".to_string()));
        }
        let Some(key) = step.carried.clone() else {
            return Ok(refuse(self, "the answer carries no usable key".to_string()));
        };
        let fingerprint = key.fingerprint().to_hex();
        if !fingerprint_matches(&fingerprint, &join.inviter_fingerprint) {
            return Ok(refuse(
                self,
                format!(
                    "the answer carries the key {}, not the key {} named in the invite code: someone may be in \
                     the middle; nothing was pinned",
                    crate::contacts::group_hex(&fingerprint),
                    crate::contacts::group_hex(&join.inviter_fingerprint)
                ),
            ));
        }
        if step.by_password {
            return Ok(refuse(
                self,
                "the answer was encrypted to another key than yours: your join request was replaced on the \
                 way; nothing was pinned"
                    .to_string(),
            ));
        }
        if !step.signed_by_expected {
            return Ok(refuse(self, "the answer is not signed by the key in the invite code".to_string()));
        }
        // Answers from before nonces carry none; the proof then carries none.
        let nonce = match step.step.nonce.as_deref() {
            Some(sealed) => match handshake::open_nonce(sealed, self.store.my_keys()) {
                Some(nonce) => Some(nonce),
                None => return Ok(refuse(self, "the answer's nonce is not encrypted to your key".to_string())),
            },
            None => None,
        };
        match contacts.by_address(&join.inviter_address) {
            Some(c) if c.fingerprint != fingerprint => {
                return Ok(refuse(
                    self,
                    format!("{} is already pinned with another key; check it in person", join.inviter_address),
                ));
            }
            Some(_) => {}
            None => {
                let alias = contacts.free_alias(&join.inviter_address);
                // A key that cannot be pinned (expired, no usable subkey)
                // ends this join, not every later sync.
                if let Err(e) = contacts.add(&alias, &join.inviter_address, &key) {
                    return Ok(refuse(self, format!("the key in the answer cannot be pinned: {e:#}")));
                }
            }
        }
        let me = self.store.secret_cert().fingerprint().to_hex();
        let me_cert = self.store.secret_cert().clone();
        self.send(
            Step::Auth,
            &join.inviter_address,
            &token,
            Fields { secret: Some(join.secret.clone()), fingerprint: Some(me), nonce, ..Fields::default() },
            &[&key, &me_cert],
            None,
        )?;
        let entry = self.joins.by_token_mut(&token).expect("exists");
        entry.stage = JoinStage::AuthSent { at: now() };
        // The code named the key by a prefix; from here on, the whole of it.
        entry.inviter_fingerprint = fingerprint;
        Ok(format!(
            "join with {}: their key matches the invite code; sent your proof, waiting for their confirmation",
            join.inviter_address
        ))
    }

    fn on_refused(&mut self, step: &Incoming<'_>) -> String {
        let token = step.step.token.clone().unwrap_or_default();
        let reason = step.step.reason.clone().unwrap_or_else(|| "no reason given".to_string());
        let Some(join) = self.joins.by_token_mut(&token) else {
            return "ignored a join refusal for no join of yours".to_string();
        };
        let from_inviter = step.signed_by_expected
            && step
                .carried
                .as_ref()
                .is_some_and(|k| fingerprint_matches(&k.fingerprint().to_hex(), &join.inviter_fingerprint));
        if !from_inviter || matches!(join.stage, JoinStage::Completed { .. }) {
            return "ignored a join refusal not signed by the inviter's key".to_string();
        }
        // Once the proof is sent, only a refusal of that proof counts: it is
        // encrypted to the key the proof was signed with. A refusal opened
        // with the code's password answers some request (a replay of ours,
        // or someone else's) and must not undo a join under way.
        if matches!(join.stage, JoinStage::AuthSent { .. }) && step.by_password {
            return format!(
                "ignored a join refusal from {} while waiting for their confirmation",
                join.inviter_address
            );
        }
        let reason = crate::sanitize::line(&reason);
        join.stage = JoinStage::Refused { reason: format!("{} refused it: {reason}", join.inviter_address), at: now() };
        format!("join with {}: REFUSED by them: {reason}", join.inviter_address)
    }

    fn on_auth(&mut self, contacts: &mut Contacts, step: &Incoming<'_>) -> Result<String> {
        let token = step.step.token.clone().unwrap_or_default();
        let Some(invite) = self.invites.by_token(&token).cloned() else {
            return Ok("ignored a join proof for no invite of yours".to_string());
        };
        let InviteState::Answered { address, fingerprint, key, nonce, .. } = invite.state.clone() else {
            return Ok(format!("ignored a join proof for an invite that is {}", invite.describe()));
        };
        let signed_by_request = match &key {
            Some(_) => step.signed_by_expected,
            // Answered before the request's key was kept: it was pinned then.
            None => step.signer.as_deref() == Some(fingerprint.as_str()),
        };
        let pinned_other = contacts.by_address(&address).filter(|c| c.fingerprint != fingerprint);
        let failure = if invite.expired() {
            Some("the invite expired before the proof came".to_string())
        } else if step.step.secret.as_deref() != Some(invite.secret.as_str()) {
            Some("the proof carries the wrong secret".to_string())
        } else if !signed_by_request {
            Some(format!(
                "the proof is signed by a key other than the one in the join request ({} instead of {}): a key \
                 may have been swapped in the middle",
                step.signer
                    .as_deref()
                    .map(crate::contacts::group_hex)
                    .unwrap_or_else(|| "a key it could not check".to_string()),
                crate::contacts::group_hex(&fingerprint)
            ))
        } else if step.step.fingerprint.as_deref() != Some(fingerprint.as_str()) {
            Some("the fingerprint in the proof is not the signer's".to_string())
        } else if nonce.is_some() && step.step.nonce != nonce {
            Some(format!(
                "the proof does not carry the nonce sent to {address} in the answer: whoever sent it does not \
                 read that address's mail"
            ))
        } else {
            pinned_other.map(|other| {
                format!(
                    "{address} was pinned with another key meanwhile (as {}); check their key in person",
                    other.alias
                )
            })
        };
        let entry = self.invites.by_token_mut(&token).expect("exists");
        if let Some(reason) = failure {
            entry.state = InviteState::Failed { address: address.clone(), reason: reason.clone(), at: now() };
            // Encrypted to the request's key too: the joiner waiting for a
            // confirmation takes only a refusal made for its own key.
            let requested = key.as_deref().and_then(|k| Cert::from_bytes(k.as_bytes()).ok());
            self.send_refusal(&invite, &address, &reason, requested.as_ref())?;
            return Ok(format!("join of {address}: REFUSED: {reason}; they stay unverified"));
        }
        entry.state = InviteState::Completed { address: address.clone(), fingerprint: fingerprint.clone(), at: now() };
        let contact = match (contacts.by_address(&address), &key) {
            (Some(pinned), _) => pinned.clone(),
            (None, Some(_)) => {
                // The proof was checked against this key just now.
                let cert = step.expected.as_ref().context("the key of the join request")?;
                let alias = contacts.free_alias(&address);
                contacts.add(&alias, &address, cert)?.clone()
            }
            (None, None) => anyhow::bail!("the key of {address}'s join request is gone; ask them to join again"),
        };
        if contact.state != PinState::Verified {
            contacts.mark_verified(&contact.alias, Verification::Invite)?;
        }
        let cert = contact.cert()?;
        let me_cert = self.store.secret_cert().clone();
        let fields = Fields { fingerprint: Some(fingerprint), ..Fields::default() };
        self.send(Step::Confirm, &address, &token, fields, &[&cert, &me_cert], None)?;
        Ok(format!("join of {address} completed: {} is verified", contact.alias))
    }

    /// The inviter's confirmation. Its expiry is not checked: the inviter
    /// checked it when the proof arrived, and has pinned us verified by now.
    fn on_confirm(&mut self, contacts: &mut Contacts, step: &Incoming<'_>) -> String {
        let token = step.step.token.clone().unwrap_or_default();
        let me = self.store.secret_cert().fingerprint().to_hex();
        let Some(join) = self.joins.by_token_mut(&token).filter(|j| matches!(j.stage, JoinStage::AuthSent { .. }))
        else {
            return "ignored a join confirmation for no join of yours waiting for one".to_string();
        };
        if !step.signer.as_deref().is_some_and(|s| fingerprint_matches(s, &join.inviter_fingerprint))
            || step.step.fingerprint.as_deref() != Some(me.as_str())
        {
            return format!("ignored a join confirmation from {} that does not check out", join.inviter_address);
        }
        let Some(alias) = contacts.by_address(&join.inviter_address).map(|c| c.alias.clone()) else {
            return "ignored a join confirmation from someone not pinned".to_string();
        };
        if contacts.mark_verified(&alias, Verification::Invite).is_err() {
            return format!("could not mark {alias} verified");
        }
        join.stage = JoinStage::Completed { at: now() };
        format!("join with {} completed: {alias} is verified", join.inviter_address)
    }

    /// Sends a signed refusal for `invite` to `to`, encrypted with the
    /// code's password and to `key` when given. Returns false when none was
    /// sent: the address is unusable, or `MAX_REFUSALS` were sent already.
    fn send_refusal(&mut self, invite: &Invite, to: &str, reason: &str, key: Option<&Cert>) -> Result<bool> {
        if to.is_empty() || keys::check_address(to).is_err() || invite.refusals >= MAX_REFUSALS {
            return Ok(false);
        }
        let password = handshake::password_for(&invite.secret);
        let fields = Fields { reason: Some(reason.to_string()), ..Fields::default() };
        let recipients: Vec<&Cert> = key.into_iter().collect();
        self.send(Step::Refused, to, &invite.token, fields, &recipients, Some(&password))?;
        if let Some(entry) = self.invites.by_token_mut(&invite.token) {
            entry.refusals += 1;
        }
        Ok(true)
    }

    /// Seals a step, signed by the user's key, and puts it in the outbox.
    fn send(
        &mut self,
        step: Step,
        to: &str,
        token: &str,
        Fields { secret, fingerprint, reason, nonce }: Fields,
        recipients: &[&Cert],
        password: Option<&Password>,
    ) -> Result<()> {
        let carries_key = matches!(step, Step::Request | Step::Answer | Step::Refused);
        let sealed = compose_step(
            self.store,
            HandshakeDraft {
                from_name: self.config.account.name.clone(),
                from_address: self.config.account.address.clone(),
                to_address: to.to_string(),
                step,
                token: token.to_string(),
                secret,
                fingerprint,
                reason,
                nonce,
                key: carries_key.then(|| self.store.secret_cert().clone()),
                message_id: new_message_id(&self.config.account.address),
                date: SystemTime::now(),
            },
            recipients,
            password,
        )?;
        outbox::enqueue(self.store, &sealed)?;
        self.queued = true;
        Ok(())
    }
}

/// Signed refusals sent per invite at most.
const MAX_REFUSALS: u32 = 3;

/// The fields a step carries besides its token.
#[derive(Default)]
struct Fields {
    secret: Option<String>,
    fingerprint: Option<String>,
    reason: Option<String>,
    nonce: Option<String>,
}

/// What a received step says and how it was sealed.
struct Incoming<'a> {
    content: &'a Content,
    step: &'a Handshake,
    /// The fingerprint of the key whose good signature it carries.
    signer: Option<String>,
    carried: Option<Cert>,
    /// The key it must be signed by: the one it carries, or for a proof
    /// the key of the join request.
    expected: Option<Cert>,
    /// A good signature by the key it must be signed by: the one it
    /// carries, or for a proof the key of the join request.
    signed_by_expected: bool,
    /// Opened with the code's password rather than the user's key.
    by_password: bool,
    /// SHA-256 of the decrypted step: the same step again is a replay.
    digest: String,
}

fn compose_step(
    store: &Store,
    draft: HandshakeDraft,
    recipients: &[&Cert],
    password: Option<&Password>,
) -> Result<Queued> {
    let sealed = handshake::compose(&draft, store.secret_cert(), recipients, password)?;
    Ok(Queued {
        message_id: draft.message_id.clone(),
        to: draft.to_address.clone(),
        subject: format!("join handshake ({:?})", draft.step).to_lowercase(),
        created_at: now(),
        attempts: 0,
        last_error: None,
        raw: String::from_utf8(sealed.raw).context("the composed message is not ASCII")?,
        content_sha256: Some(sealed.content_sha256),
        receipt_requested: false,
        receipt_for: None,
        kind: Outgoing::Handshake,
    })
}

/// Starts a join with `code`: checks it, records the join, and queues the
/// request. Refuses an expired code, one used before, and one's own.
pub fn start(store: &Store, config: &Config, contacts: &Contacts, code: &InviteCode) -> Result<Queued> {
    if code.expires_at <= now() {
        anyhow::bail!("the invite code has expired; ask {} for a new one. Nothing was sent.", code.address);
    }
    if code.address == keys::normalize_address(&config.account.address) {
        anyhow::bail!("this invite code is your own; give it to the person who should join. Nothing was sent.");
    }
    let mut joins = Joins::load(store)?;
    if let Some(earlier) = joins.joins.iter().find(|j| j.token == code.token) {
        anyhow::bail!(
            "you already used this invite code ({}); ask {} for a new one. Nothing was sent.",
            earlier.describe(),
            code.address
        );
    }
    if let Some(c) = contacts.by_address(&code.address) {
        if c.state == PinState::Verified && fingerprint_matches(&c.fingerprint, &code.fingerprint) {
            anyhow::bail!("{} is already verified as {}; nothing to do", code.address, c.alias);
        }
    }
    let queued = compose_step(
        store,
        HandshakeDraft {
            from_name: config.account.name.clone(),
            from_address: config.account.address.clone(),
            to_address: code.address.clone(),
            step: Step::Request,
            token: code.token.clone(),
            secret: None,
            fingerprint: None,
            reason: None,
            nonce: None,
            key: Some(store.secret_cert().clone()),
            message_id: new_message_id(&config.account.address),
            date: SystemTime::now(),
        },
        &[],
        Some(&handshake::password_for(&code.secret)),
    )?;
    outbox::enqueue(store, &queued)?;
    joins.joins.push(Join {
        inviter_address: code.address.clone(),
        inviter_fingerprint: code.fingerprint.clone(),
        token: code.token.clone(),
        secret: code.secret.clone(),
        expires_at: code.expires_at,
        started_at: now(),
        stage: JoinStage::RequestSent { at: now() },
    });
    joins.save(store)?;
    Ok(queued)
}
