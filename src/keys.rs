//! OpenPGP certificates: creating the user's own, adopting an existing one,
//! and deciding whether a certificate may be used for a given address.
//!
//! Certificates are v4 (RFC 4880 profile) with an Ed25519 primary key for
//! certification and signing and a Curve25519 encryption subkey, advertising
//! only SEIPDv1: that is what gpg 2.2 and Thunderbird read and write, and a
//! therapist's clients use whatever mail program they already have.
//! Generated certificates do not expire; replacing a key is an explicit act.

use std::time::SystemTime;

use anyhow::{anyhow, bail, Context, Result};
use sequoia_openpgp::cert::amalgamation::key::ValidKeyAmalgamationIter;
use sequoia_openpgp::cert::prelude::*;
use sequoia_openpgp::crypto::Password;
use sequoia_openpgp::packet::key::{PublicParts, UnspecifiedRole};
use sequoia_openpgp::packet::{Key, Packet};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::policy::StandardPolicy;
use sequoia_openpgp::types::{Features, KeyFlags};
use sequoia_openpgp::{Cert, Fingerprint, Profile};

/// The one policy sealpost judges certificates and signatures by.
pub static POLICY: StandardPolicy<'static> = StandardPolicy::new();

/// Normal form of an email address for comparisons.
pub fn normalize_address(address: &str) -> String {
    address.trim().to_lowercase()
}

/// A plausible `local@domain` address, nothing more.
pub fn check_address(address: &str) -> Result<()> {
    let ok = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:/\\".contains(c))
                && !domain.contains('@')
        }
        None => false,
    };
    if !ok {
        bail!("{address:?} is not an email address (expected name@example.org)");
    }
    Ok(())
}

/// A new certificate for `name <address>`, with secret keys.
pub fn generate(name: &str, address: &str) -> Result<Cert> {
    check_address(address)?;
    let userid = format!("{} <{}>", name.trim(), address.trim());
    let (cert, _revocation) = CertBuilder::new()
        .set_profile(Profile::RFC4880)?
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_features(Features::empty().set_seipdv1())?
        .set_primary_key_flags(KeyFlags::empty().set_certification().set_signing())
        .add_subkey(KeyFlags::empty().set_transport_encryption().set_storage_encryption(), None, None)
        .set_validity_period(None)
        .add_userid(userid)
        .generate()
        .context("generating the key")?;
    Ok(cert)
}

/// Adopts an existing secret key for `address`. The key's passphrase is
/// asked for (`key_passphrase`) only when its secret key material is
/// protected, and only after the key was found fit for the address.
pub fn adopt(bytes: &[u8], address: &str, key_passphrase: impl FnOnce() -> Result<Password>) -> Result<Cert> {
    let cert = Cert::from_bytes(bytes).context("the file is not an OpenPGP key")?;
    if !cert.is_tsk() {
        bail!("the file holds only a public certificate; export the secret key (e.g. `gpg --export-secret-keys --armor ADDRESS`)");
    }
    check_usable(&cert, address)?;
    let mut unlocked: Vec<Packet> = Vec::new();
    let mut key_passphrase = Some(key_passphrase);
    let mut password = None;
    for ka in cert.keys().secret() {
        if ka.key().has_unencrypted_secret() {
            continue;
        }
        if password.is_none() {
            password = Some(key_passphrase.take().expect("asked once")()?);
        }
        let password = password.as_ref().expect("just set");
        let key = ka
            .key()
            .clone()
            .decrypt_secret(password)
            .map_err(|_| anyhow!("wrong passphrase for the imported key; nothing was created"))?;
        unlocked.push(if ka.primary() { key.role_into_primary().into() } else { key.role_into_subordinate().into() });
    }
    let (cert, _) = cert.insert_packets(unlocked)?;
    signing_key(&cert).context("the imported key cannot sign")?;
    Ok(cert)
}

/// Checks that `cert` may be used to write to and read from `address`: valid
/// under the policy, not expired or revoked, encryption-capable, with a user
/// ID carrying that address. The error says which of these failed.
pub fn check_usable(cert: &Cert, address: &str) -> Result<()> {
    let valid = cert
        .with_policy(&POLICY, None)
        .map_err(|e| anyhow!("the certificate {} is not valid: {e}", cert.fingerprint()))?;
    if let Err(e) = valid.alive() {
        bail!("the certificate {} has expired or is not yet valid ({e})", cert.fingerprint());
    }
    if let sequoia_openpgp::types::RevocationStatus::Revoked(_) = valid.revocation_status() {
        bail!("the certificate {} has been revoked", cert.fingerprint());
    }
    if !has_address(cert, address) {
        let found: Vec<String> = addresses(cert);
        bail!(
            "the certificate {} has no user ID with the address {} (it has: {})",
            cert.fingerprint(),
            address,
            if found.is_empty() { "none".to_string() } else { found.join(", ") }
        );
    }
    if encryption_keys(cert).is_empty() {
        bail!("the certificate {} has no usable encryption key", cert.fingerprint());
    }
    Ok(())
}

/// The certificates without their secret parts: for checking signatures.
pub fn public(certs: &[Cert]) -> Vec<Cert> {
    certs.iter().map(|c| c.clone().strip_secret_key_material()).collect()
}

/// The addresses in a certificate's valid user IDs.
pub fn addresses(cert: &Cert) -> Vec<String> {
    let Ok(valid) = cert.with_policy(&POLICY, None) else {
        return Vec::new();
    };
    valid.userids().filter_map(|uid| uid.userid().email().ok().flatten().map(normalize_address)).collect()
}

pub fn has_address(cert: &Cert, address: &str) -> bool {
    let wanted = normalize_address(address);
    addresses(cert).contains(&wanted)
}

/// The display name in the user ID carrying `address`, if any.
pub fn name_for(cert: &Cert, address: &str) -> Option<String> {
    let wanted = normalize_address(address);
    cert.userids().find_map(|uid| {
        let uid = uid.userid();
        let email = uid.email().ok().flatten()?;
        (normalize_address(email) == wanted).then(|| uid.name().ok().flatten().map(str::to_string)).flatten()
    })
}

/// The keys of a valid certificate that a message may be encrypted to.
pub fn encryption_targets<'a>(valid: &ValidCert<'a>) -> ValidKeyAmalgamationIter<'a, PublicParts, UnspecifiedRole> {
    valid
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .key_flags(KeyFlags::empty().set_transport_encryption().set_storage_encryption())
}

/// The keys a message to `cert` may be encrypted to.
pub fn encryption_keys(cert: &Cert) -> Vec<Key<PublicParts, UnspecifiedRole>> {
    let Ok(valid) = cert.with_policy(&POLICY, SystemTime::now()) else {
        return Vec::new();
    };
    encryption_targets(&valid).map(|ka| ka.key().clone()).collect()
}

/// A key pair that can sign for the user.
pub fn signing_key(cert: &Cert) -> Result<sequoia_openpgp::crypto::KeyPair> {
    let valid = cert.with_policy(&POLICY, None)?;
    let key = valid
        .keys()
        .secret()
        .alive()
        .revoked(false)
        .for_signing()
        .next()
        .context("no valid signing key with secret key material")?;
    key.key().clone().into_keypair().context("using the signing key")
}

/// A fingerprint in groups of four, as people read it aloud.
pub fn grouped(fingerprint: &Fingerprint) -> String {
    let hex = fingerprint.to_hex();
    hex.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("hex is ASCII")).collect::<Vec<_>>().join(" ")
}

/// Parses a fingerprint as typed by a person: spaces and case ignored.
pub fn parse_fingerprint(text: &str) -> Result<Fingerprint> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace() && *c != ':').collect();
    if compact.len() != 40 || !compact.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("{text:?} is not a fingerprint (expected 40 hex digits, spaces allowed)");
    }
    compact.parse().context("reading the fingerprint")
}

/// The public certificate of `cert` (with secret keys), revoked by its own
/// primary key with `reason`: what tells every OpenPGP client to stop
/// trusting it.
pub fn revoke(cert: &Cert, reason: sequoia_openpgp::types::ReasonForRevocation, text: &str) -> Result<Cert> {
    use sequoia_openpgp::cert::CertRevocationBuilder;
    let mut primary = cert
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .context("the old key's secret is needed to revoke it")?
        .into_keypair()
        .context("the old key cannot sign")?;
    let signature = CertRevocationBuilder::new().set_reason_for_revocation(reason, text.as_bytes())?.build(
        &mut primary,
        cert,
        None,
    )?;
    let public = cert.clone().strip_secret_key_material();
    Ok(public.insert_packets(vec![signature])?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_is_v4_ed25519_with_encryption_subkey() {
        let cert = generate("Ada Moss", "ada@practice.example").unwrap();
        assert_eq!(cert.primary_key().key().version(), 4);
        assert!(cert.is_tsk());
        check_usable(&cert, "ada@practice.example").unwrap();
        assert_eq!(encryption_keys(&cert).len(), 1);
        assert_eq!(name_for(&cert, "ADA@practice.example").as_deref(), Some("Ada Moss"));
    }

    #[test]
    fn certificate_without_the_address_is_refused() {
        let cert = generate("Ada Moss", "ada@practice.example").unwrap();
        let err = check_usable(&cert, "bob@practice.example").unwrap_err().to_string();
        assert!(err.contains("no user ID with the address bob@practice.example"), "{err}");
    }

    #[test]
    fn fingerprints_group_and_parse_back() {
        let cert = generate("Ada Moss", "ada@practice.example").unwrap();
        let text = grouped(&cert.fingerprint());
        assert_eq!(text.split(' ').count(), 10);
        assert_eq!(parse_fingerprint(&text.to_lowercase()).unwrap(), cert.fingerprint());
        assert!(parse_fingerprint("1234").is_err());
    }

    /// Signs with the "signature" that an Ed25519 key of small order (here
    /// the identity point) accepts for every message: R the identity, S 0.
    /// Anyone can make it; no secret is involved.
    struct Forger(Key<PublicParts, UnspecifiedRole>);

    impl sequoia_openpgp::crypto::Signer for Forger {
        fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
            &self.0
        }
        fn sign(
            &mut self,
            _: sequoia_openpgp::types::HashAlgorithm,
            _: &[u8],
        ) -> sequoia_openpgp::Result<sequoia_openpgp::crypto::mpi::Signature> {
            let mut r = [0u8; 32];
            r[0] = 1;
            Ok(sequoia_openpgp::crypto::mpi::Signature::EdDSA { r: r.to_vec().into(), s: vec![0u8; 32].into() })
        }
    }

    /// A certificate for `address` whose primary key is the Ed25519
    /// identity point, with every binding signature the forgery above.
    fn certificate_anyone_can_sign_for(address: &str) -> Cert {
        use sequoia_openpgp::packet::key::Key4;
        use sequoia_openpgp::packet::signature::SignatureBuilder;
        use sequoia_openpgp::packet::UserID;
        use sequoia_openpgp::types::{KeyFlags, SignatureType};
        let created = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let primary: Key<PublicParts, sequoia_openpgp::packet::key::PrimaryRole> =
            Key4::import_public_ed25519(&identity, created).unwrap().into();
        let subkey: Key<PublicParts, sequoia_openpgp::packet::key::SubordinateRole> =
            Key4::import_public_cv25519(&[9u8; 32], None, None, created).unwrap().into();
        let mut forger = Forger(primary.clone().role_into_unspecified());
        let userid = UserID::from(format!("<{address}>"));
        let userid_binding = SignatureBuilder::new(SignatureType::PositiveCertification)
            .set_signature_creation_time(created)
            .unwrap()
            .set_key_flags(KeyFlags::empty().set_certification().set_signing())
            .unwrap()
            .sign_userid_binding(&mut forger, &primary, &userid)
            .unwrap();
        let subkey_binding = SignatureBuilder::new(SignatureType::SubkeyBinding)
            .set_signature_creation_time(created)
            .unwrap()
            .set_key_flags(KeyFlags::empty().set_transport_encryption().set_storage_encryption())
            .unwrap()
            .sign_subkey_binding(&mut forger, &primary, &subkey)
            .unwrap();
        Cert::from_packets(
            vec![
                sequoia_openpgp::Packet::from(primary),
                userid.into(),
                userid_binding.into(),
                subkey.into(),
                subkey_binding.into(),
            ]
            .into_iter(),
        )
        .unwrap()
    }

    /// Signs as an Ed25519 key with secret scalar `a` would, except that
    /// `R` is chosen: a nonce's point honestly, or the identity (a point of
    /// small order), which only the key's owner can make pass
    /// `[s]B = R + [k]A`, and which a strict check refuses.
    struct ChosenR {
        key: Key<PublicParts, UnspecifiedRole>,
        a: curve25519_dalek::Scalar,
        small_order_r: bool,
    }

    impl sequoia_openpgp::crypto::Signer for ChosenR {
        fn public(&self) -> &Key<PublicParts, UnspecifiedRole> {
            &self.key
        }
        fn sign(
            &mut self,
            _: sequoia_openpgp::types::HashAlgorithm,
            digest: &[u8],
        ) -> sequoia_openpgp::Result<sequoia_openpgp::crypto::mpi::Signature> {
            use curve25519_dalek::{EdwardsPoint, Scalar};
            use sha2::{Digest, Sha512};
            let r = if self.small_order_r { Scalar::ZERO } else { Scalar::from_hash(Sha512::new_with_prefix(digest)) };
            let big_r = EdwardsPoint::mul_base(&r).compress();
            let big_a = EdwardsPoint::mul_base(&self.a).compress();
            let k = Scalar::from_hash(
                Sha512::new().chain_update(big_r.as_bytes()).chain_update(big_a.as_bytes()).chain_update(digest),
            );
            let s = r + k * self.a;
            Ok(sequoia_openpgp::crypto::mpi::Signature::EdDSA {
                r: big_r.as_bytes().to_vec().into(),
                s: s.as_bytes().to_vec().into(),
            })
        }
    }

    #[test]
    fn a_signature_whose_r_has_small_order_is_bad() {
        use sequoia_openpgp::packet::key::Key4;
        use sequoia_openpgp::packet::signature::SignatureBuilder;
        use sequoia_openpgp::types::SignatureType;
        let a = curve25519_dalek::Scalar::from_bytes_mod_order([7; 32]);
        let public = curve25519_dalek::EdwardsPoint::mul_base(&a).compress();
        let key: Key<PublicParts, UnspecifiedRole> =
            Key4::import_public_ed25519(public.as_bytes(), None).unwrap().into();
        let signed = |small_order_r| {
            let mut signer = ChosenR { key: key.clone(), a, small_order_r };
            SignatureBuilder::new(SignatureType::Binary).sign_message(&mut signer, b"session notes").unwrap()
        };
        // The same key, message and arithmetic with an honest `R` verify,
        // so only the choice of `R` is refused.
        signed(false).verify_message(&key, b"session notes").expect("an honest signature verifies");
        let refused = signed(true).verify_message(&key, b"session notes");
        assert!(refused.is_err(), "a small-order R must not verify");
    }

    #[test]
    fn a_key_whose_signatures_anyone_can_make_is_not_usable() {
        // OpenSSL 3.0 accepts the forgery for the identity key; the strict
        // check sealpost uses refuses it (vendor/sequoia-openpgp/SEALPOST.md),
        // so no binding holds and the certificate cannot be pinned.
        let cert = certificate_anyone_can_sign_for("mallory@example.org");
        let refused = check_usable(&cert, "mallory@example.org").unwrap_err();
        assert!(refused.to_string().contains("is not valid"), "{refused:#}");
    }
}
