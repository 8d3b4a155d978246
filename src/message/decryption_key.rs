//! The user's X25519 decryption keys held ready while a thread opens a run
//! of messages (a sync's batch).
//!
//! Opening a message with a key as stored costs two X25519 scalar
//! multiplications: OpenSSL derives the public half again each time a raw
//! secret key is loaded, and then computes the shared point. Held ready,
//! the key is loaded once per run and each message costs one.
//!
//! That one is computed by AWS-LC (`aws-lc-rs`), whose X25519 on x86-64 is
//! s2n-bignum's formally verified assembly: about 28 µs a message here,
//! against about 45 µs for OpenSSL 3.0's, much of whose cost is the
//! provider lookups around each key and derivation (`cargo bench --bench
//! x25519`).
//!
//! The secret is held in AWS-LC's memory (wiped when freed) only while a
//! `HeldKeys` guard lives on the thread; everywhere else (a single `read`)
//! each decryption loads it and lets it go, as sequoia does.

use std::cell::RefCell;
use std::rc::Rc;

use anyhow::{anyhow, Result};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
use sequoia_openpgp::crypto::mem::Protected;
use sequoia_openpgp::crypto::mpi::{self, Ciphertext};
use sequoia_openpgp::crypto::{Decryptor, SessionKey};
use sequoia_openpgp::packet::key::SecretKeyMaterial;
use sequoia_openpgp::packet::key::{PublicParts, SecretParts, UnspecifiedRole};
use sequoia_openpgp::packet::Key;
use sequoia_openpgp::types::Curve;
use sequoia_openpgp::Fingerprint;

/// Secret keys loaded, by the fingerprint of their key.
type Loaded = Vec<(Fingerprint, Rc<PrivateKey>)>;

thread_local! {
    /// `Some` while a `HeldKeys` guard lives on this thread.
    static HELD: RefCell<Option<Loaded>> = const { RefCell::new(None) };
}

/// While this lives, X25519 keys used on this thread stay loaded.
pub struct HeldKeys(());

impl HeldKeys {
    pub fn hold() -> HeldKeys {
        HELD.with(|held| *held.borrow_mut() = Some(Vec::new()));
        HeldKeys(())
    }
}

impl Drop for HeldKeys {
    fn drop(&mut self) {
        HELD.with(|held| *held.borrow_mut() = None);
    }
}

/// A decryptor for `key` using the held form of its secret, when keys are
/// held on this thread and `key` is an X25519 (Cv25519 ECDH) key; `None`
/// otherwise (the caller decrypts as sequoia does).
pub fn held(key: &Key<SecretParts, UnspecifiedRole>) -> Option<HeldX25519> {
    let is_cv25519 = matches!(key.mpis(), mpi::PublicKey::ECDH { curve: Curve::Cv25519, .. });
    if !is_cv25519 {
        return None;
    }
    let fingerprint = key.fingerprint();
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        let held = held.as_mut()?;
        let secret = match held.iter().find(|(f, _)| *f == fingerprint) {
            Some((_, secret)) => secret.clone(),
            None => {
                let secret = load(key).ok()?;
                held.push((fingerprint, secret.clone()));
                secret
            }
        };
        Some(HeldX25519 { public: key.clone().take_secret().0, secret })
    })
}

/// The secret scalar of a Cv25519 key as X25519 takes it.
fn load(key: &Key<SecretParts, UnspecifiedRole>) -> Result<Rc<PrivateKey>> {
    let SecretKeyMaterial::Unencrypted(secret) = key.secret() else {
        return Err(anyhow!("the key is locked"));
    };
    secret.map(|mpis| match mpis {
        mpi::SecretKeyMaterial::ECDH { scalar } => {
            // OpenPGP stores the scalar big-endian and may strip leading
            // zeros; X25519 takes it little-endian, 32 bytes (see sequoia's
            // `KeyPair::decrypt`).
            let mut raw = scalar.value_padded(32);
            raw.reverse();
            let secret = PrivateKey::from_private_key(&X25519, &raw).map_err(|e| anyhow!("not an X25519 key: {e}"))?;
            Ok(Rc::new(secret))
        }
        _ => Err(anyhow!("not an X25519 key")),
    })
}

pub struct HeldX25519 {
    public: Key<PublicParts, UnspecifiedRole>,
    secret: Rc<PrivateKey>,
}

impl Decryptor for HeldX25519 {
    fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
        &self.public
    }

    #[allow(non_snake_case)]
    fn decrypt(
        &mut self,
        ciphertext: &Ciphertext,
        plaintext_len: Option<usize>,
    ) -> sequoia_openpgp::Result<SessionKey> {
        let Ciphertext::ECDH { e, .. } = ciphertext else {
            return Err(anyhow!("not an ECDH ciphertext"));
        };
        // The sender's ephemeral public key V; the shared point S = rV.
        let V = e.decode_point(&Curve::Cv25519)?.0;
        // A point of small order gives the all-zero secret, which is
        // refused here as OpenSSL and sequoia refuse it.
        let S: Protected = agreement::agree(&self.secret, UnparsedPublicKey::new(&X25519, V), (), |S| Ok(S.into()))
            .map_err(|()| anyhow!("X25519 with the sender's ephemeral key failed"))?;
        sequoia_openpgp::crypto::ecdh::decrypt_unwrap(&self.public, &S, ciphertext, plaintext_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sequoia_openpgp::cert::CertBuilder;
    use sequoia_openpgp::packet::pkesk::PKESK3;
    use sequoia_openpgp::packet::PKESK;
    use sequoia_openpgp::policy::StandardPolicy;
    use sequoia_openpgp::types::SymmetricAlgorithm;

    #[test]
    fn a_held_key_decrypts_what_sequoia_decrypts_and_is_let_go_with_its_guard() {
        let (cert, _) = CertBuilder::general_purpose(Some("a@example.org")).generate().unwrap();
        let policy = StandardPolicy::new();
        let recipient = cert.keys().with_policy(&policy, None).for_transport_encryption().next().unwrap();
        let session_key = SessionKey::new(32).unwrap();
        let pkesk: PKESK =
            PKESK3::for_recipient(SymmetricAlgorithm::AES256, &session_key, recipient.key()).unwrap().into();
        let secret = cert.keys().secret().key_handle(recipient.key().key_handle()).next().unwrap();
        let secret = secret.key().clone().parts_into_secret().unwrap().role_into_unspecified();

        assert!(held(&secret).is_none(), "nothing is held without a guard");
        let guard = HeldKeys::hold();
        let mut decryptor = held(&secret).expect("an X25519 key is held");
        assert_eq!(decryptor.public().fingerprint(), recipient.key().fingerprint());
        let (algo, got) = pkesk.decrypt(&mut decryptor, None).expect("the held key decrypts");
        assert_eq!(algo, Some(SymmetricAlgorithm::AES256));
        assert_eq!(&got[..], &session_key[..]);
        // The same key again comes from what is held.
        let mut again = held(&secret).unwrap();
        assert!(pkesk.decrypt(&mut again, None).is_some());
        assert_eq!(HELD.with(|h| h.borrow().as_ref().map(Vec::len)), Some(1));
        // A sender's ephemeral key of small order (here u = 0) would make
        // the shared secret all zeros, known to anyone: refused before any
        // key unwrapping.
        let small_order = Ciphertext::ECDH { e: mpi::MPI::new_compressed_point(&[0; 32]), key: vec![0; 40].into() };
        let refused = again.decrypt(&small_order, None).unwrap_err();
        assert!(refused.to_string().contains("X25519 with the sender's ephemeral key failed"), "{refused:#}");
        drop(guard);
        assert!(held(&secret).is_none());
        assert!(HELD.with(|h| h.borrow().is_none()));
    }
}
