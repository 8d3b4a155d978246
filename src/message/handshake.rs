//! The join handshake on the wire (DESIGN.md, "Verification and pinning").
//!
//! Each step is an ordinary PGP/MIME message whose inner part carries
//! `Sealpost-Join: <step>` and the step's fields as protected headers, and,
//! where a step hands over a key, the public key as an `application/pgp-keys`
//! part. The request, the answer and a refusal are encrypted with a password
//! derived from the invite code's secret (so the mail servers in between
//! learn neither key nor token); the answer is also encrypted to the joiner's
//! key. Auth and confirmation are encrypted to the keys pinned by then. Every
//! step is signed.

use std::time::SystemTime;

use anyhow::{Context, Result};
use lettre::message::header::{self, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailboxes, MultiPart, SinglePart};
use sequoia_openpgp::crypto::Password;
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::serialize::SerializeInto;
use sequoia_openpgp::Cert;
use serde::{Deserialize, Serialize};

use super::compose::{mailbox, sha256_hex, sign_and_encrypt_with, wrap, Envelope, Sealed};
use super::Content;

/// The steps, in order; `Refused` can answer a request or an auth message.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// 1. Joiner to inviter: the token and the joiner's key.
    Request,
    /// 2. Inviter to joiner: the inviter's key.
    Answer,
    /// 3. Joiner to inviter: the auth secret and the joiner's fingerprint.
    Auth,
    /// 4. Inviter to joiner: the joiner's key is verified.
    Confirm,
    /// The inviter refuses the join, saying why.
    Refused,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Request => "request",
            Step::Answer => "answer",
            Step::Auth => "auth",
            Step::Confirm => "confirm",
            Step::Refused => "refused",
        }
    }

    fn parse(name: &str) -> Option<Step> {
        [Step::Request, Step::Answer, Step::Auth, Step::Confirm, Step::Refused].into_iter().find(|s| s.name() == name)
    }
}

/// The handshake fields of a decrypted inner part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    pub step: Step,
    pub token: Option<String>,
    pub secret: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: Option<String>,
    /// In an answer: a fresh nonce encrypted to the request's key only
    /// (`seal_nonce`). In a proof: that nonce, decrypted. Carrying it back
    /// proves the joiner reads the mail of the address it asked for.
    pub nonce: Option<String>,
}

/// One step about to be sealed.
#[derive(Clone, Debug)]
pub struct HandshakeDraft {
    pub from_name: String,
    pub from_address: String,
    pub to_address: String,
    pub step: Step,
    pub token: String,
    pub secret: Option<String>,
    pub fingerprint: Option<String>,
    pub reason: Option<String>,
    /// See `Handshake::nonce`.
    pub nonce: Option<String>,
    /// A public key to hand over.
    pub key: Option<Cert>,
    pub message_id: String,
    pub date: SystemTime,
}

/// The password the first steps are encrypted with: derived one way from
/// the invite's auth secret, so knowing it does not reveal the secret.
pub fn password_for(secret: &str) -> Password {
    Password::from(sha256_hex(format!("sealpost join v1\n{secret}").as_bytes()))
}

/// Seals a step: signed by `sender`, encrypted to `recipients` (the sender
/// is not added) and to `password` when given.
pub fn compose(
    draft: &HandshakeDraft,
    sender: &Cert,
    recipients: &[&Cert],
    password: Option<&Password>,
) -> Result<Sealed> {
    let inner = inner_entity(draft)?;
    let passwords: Vec<Password> = password.cloned().into_iter().collect();
    let ciphertext = sign_and_encrypt_with(&inner, sender, recipients, recipients, &passwords)?;
    let envelope = Envelope::new(&draft.from_address, &draft.to_address, draft.date);
    // No Autocrypt header: the keys travel only inside the encryption.
    wrap(&inner, &ciphertext, &envelope, None)
}

fn inner_entity(draft: &HandshakeDraft) -> Result<Vec<u8>> {
    let from = mailbox(Some(&draft.from_name), &draft.from_address)?;
    let to = mailbox(None, &draft.to_address)?;
    let text = match draft.step {
        Step::Request => "I would like to join using your invite code.",
        Step::Answer => "Here is my key, as named in the invite code.",
        Step::Auth => "Proof that I hold the invite code, and my fingerprint.",
        Step::Confirm => "Your key is verified.",
        Step::Refused => "The join was refused.",
    };
    let mut entity = MultiPart::mixed()
        .header(header::Subject::from(format!("sealpost join: {}", draft.step.name())))
        .header(header::From::from(Mailboxes::from(from)))
        .header(header::To::from(Mailboxes::from(to)))
        .header(header::Date::new(draft.date))
        .header(header::MessageId::from(draft.message_id.clone()))
        .singlepart(SinglePart::plain(format!("{text}\n")));
    if let Some(key) = &draft.key {
        let armored = String::from_utf8(key.clone().strip_secret_key_material().armored().to_vec()?)?;
        entity = entity.singlepart(
            lettre::message::Attachment::new("key.asc".to_string())
                .body(armored, ContentType::parse("application/pgp-keys")?),
        );
    }
    let fields = [
        ("Sealpost-Join", Some(draft.step.name().to_string())),
        ("Sealpost-Join-Token", Some(draft.token.clone())),
        ("Sealpost-Join-Secret", draft.secret.clone()),
        ("Sealpost-Join-Fingerprint", draft.fingerprint.clone()),
        ("Sealpost-Join-Reason", draft.reason.as_ref().map(|r| r.replace(['\r', '\n'], " "))),
        ("Sealpost-Join-Nonce", draft.nonce.clone()),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            entity.headers_mut().insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str(name), value));
        }
    }
    let content_type = format!("multipart/mixed; boundary=\"{}\"; protected-headers=\"v1\"", entity.boundary());
    entity.headers_mut().set(ContentType::parse(&content_type)?);
    Ok(entity.formatted())
}

/// The handshake fields of an inner entity, when it is a handshake step.
pub fn parse(inner: &mail_parser::Message<'_>) -> Option<Handshake> {
    let field = |name: &str| {
        inner.header_raw(name).map(|v| v.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|v| !v.is_empty())
    };
    Some(Handshake {
        step: Step::parse(&field("Sealpost-Join")?)?,
        token: field("Sealpost-Join-Token"),
        secret: field("Sealpost-Join-Secret"),
        fingerprint: field("Sealpost-Join-Fingerprint").map(|f| f.to_uppercase()),
        reason: field("Sealpost-Join-Reason"),
        nonce: field("Sealpost-Join-Nonce"),
    })
}

/// A fresh random nonce for an answer (128 bits, hex).
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    sequoia_openpgp::crypto::random(&mut bytes).expect("the system random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `nonce` encrypted to `key` only (base64 of an OpenPGP message), so that
/// neither the mail servers nor anyone who learned the invite code's
/// password can read it: only the holder of the requested key, reading the
/// requested address's mail.
pub fn seal_nonce(nonce: &str, key: &Cert) -> Result<String> {
    use base64::Engine;
    use sequoia_openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient};
    use std::io::Write;
    let valid = key.with_policy(&crate::keys::POLICY, None).context("the request's key is not valid")?;
    let targets: Vec<Recipient> = crate::keys::encryption_targets(&valid).map(Recipient::from).collect();
    anyhow::ensure!(!targets.is_empty(), "the request's key has no usable encryption key");
    let mut sink = Vec::new();
    let message = Encryptor::for_recipients(Message::new(&mut sink), targets).build().context("encrypting")?;
    let mut literal = LiteralWriter::new(message).build()?;
    literal.write_all(nonce.as_bytes())?;
    literal.finalize()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sink))
}

/// The nonce of `seal_nonce`, when one of `me` can decrypt it.
pub fn open_nonce(sealed: &str, me: &[Cert]) -> Option<String> {
    use base64::Engine;
    use sequoia_openpgp::parse::stream::{DecryptionHelper, DecryptorBuilder, MessageStructure, VerificationHelper};
    use std::io::Read;
    struct Keys<'a>(&'a [Cert]);
    impl VerificationHelper for Keys<'_> {
        fn get_certs(&mut self, _: &[sequoia_openpgp::KeyHandle]) -> sequoia_openpgp::Result<Vec<Cert>> {
            Ok(Vec::new())
        }
        fn check(&mut self, _: MessageStructure) -> sequoia_openpgp::Result<()> {
            Ok(())
        }
    }
    impl DecryptionHelper for Keys<'_> {
        fn decrypt(
            &mut self,
            pkesks: &[sequoia_openpgp::packet::PKESK],
            _: &[sequoia_openpgp::packet::SKESK],
            sym_algo: Option<sequoia_openpgp::types::SymmetricAlgorithm>,
            decrypt: &mut dyn FnMut(
                Option<sequoia_openpgp::types::SymmetricAlgorithm>,
                &sequoia_openpgp::crypto::SessionKey,
            ) -> bool,
        ) -> sequoia_openpgp::Result<Option<Cert>> {
            // Only packets naming one of our keys: a nonce is never
            // addressed anonymously.
            for pkesk in pkesks.iter().take(4) {
                let Some(recipient) = pkesk.recipient() else { continue };
                for ka in self.0.iter().flat_map(|c| c.keys().secret()) {
                    if !recipient.aliases(ka.key().key_handle()) {
                        continue;
                    }
                    let Ok(mut pair) = ka.key().clone().into_keypair() else { continue };
                    if let Some((algo, sk)) = pkesk.decrypt(&mut pair, sym_algo) {
                        if decrypt(algo, &sk) {
                            return Ok(None);
                        }
                    }
                }
            }
            Err(anyhow::anyhow!("not for us"))
        }
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(sealed.split_whitespace().collect::<String>()).ok()?;
    if bytes.len() > 4096 {
        return None;
    }
    // Whoever knows the invite's password can write an answer: a parser
    // panic on this blob must cost only this step (see `message::open`).
    let nonce = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut decryptor =
            DecryptorBuilder::from_bytes(&bytes).ok()?.with_policy(&crate::keys::POLICY, None, Keys(me)).ok()?;
        let mut nonce = Vec::new();
        (&mut decryptor).take(256).read_to_end(&mut nonce).ok()?;
        decryptor.message_processed().then_some(nonce)
    }))
    .ok()??;
    let nonce = String::from_utf8(nonce).ok()?;
    (nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit())).then_some(nonce)
}

/// The public key a step carries.
pub fn carried_key(content: &Content) -> Option<Cert> {
    let part = content.attachments.iter().find(|a| a.content_type == "application/pgp-keys")?;
    Cert::from_bytes(&part.bytes).ok().filter(|c| !c.is_tsk())
}

/// The key a step carries, or an error saying it carries none.
pub fn require_key(content: &Content) -> Result<Cert> {
    carried_key(content).context("it carries no usable key")
}
