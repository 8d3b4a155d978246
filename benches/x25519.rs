//! The X25519 step of opening a message (the session key from a PKESK),
//! per message, the ways sealpost and its libraries can do it:
//!
//! - held: what a sync does (`message::decryption_key`): the key loaded
//!   once, each message's shared point computed by AWS-LC;
//! - sequoia: what a single `read` does: sequoia's OpenSSL backend loads
//!   the secret key for each message, which derives its public half again;
//! - and the shared point alone, from one secret and the same senders'
//!   ephemeral keys, by OpenSSL 3.0 (a key made from the raw
//!   bytes and a derivation, as an OpenSSL program does it) and by AWS-LC.
//!
//!     cargo bench --bench x25519
//!
//! Offline, a few seconds. Medians of 5 runs of 2,000 messages.

use std::time::Instant;

use sealpost::message::decryption_key::{held, HeldKeys};
use sequoia_openpgp::cert::CertBuilder;
use sequoia_openpgp::crypto::mpi::Ciphertext;
use sequoia_openpgp::crypto::SessionKey;
use sequoia_openpgp::packet::pkesk::PKESK3;
use sequoia_openpgp::packet::PKESK;
use sequoia_openpgp::policy::StandardPolicy;
use sequoia_openpgp::types::{Curve, SymmetricAlgorithm};

const MESSAGES: usize = 2_000;
const RUNS: usize = 5;

fn main() {
    let (cert, _) = CertBuilder::general_purpose(Some("sam@client.example")).generate().unwrap();
    let policy = StandardPolicy::new();
    let recipient = cert.keys().with_policy(&policy, None).for_transport_encryption().next().unwrap();
    let secret = cert.keys().secret().key_handle(recipient.key().key_handle()).next().unwrap();
    let secret = secret.key().clone().parts_into_secret().unwrap().role_into_unspecified();
    let session_key = SessionKey::new(32).unwrap();
    let pkesks: Vec<PKESK> = (0..MESSAGES)
        .map(|_| PKESK3::for_recipient(SymmetricAlgorithm::AES256, &session_key, recipient.key()).unwrap().into())
        .collect();

    let per_message = |run: &mut dyn FnMut()| {
        let mut times: Vec<f64> = (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                run();
                started.elapsed().as_secs_f64() * 1e6 / MESSAGES as f64
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[RUNS / 2]
    };

    let held_us = per_message(&mut || {
        let _guard = HeldKeys::hold();
        for pkesk in &pkesks {
            let mut decryptor = held(&secret).unwrap();
            let (_, key) = pkesk.decrypt(&mut decryptor, None).unwrap();
            assert_eq!(&key[..], &session_key[..]);
        }
    });
    let sequoia_us = per_message(&mut || {
        for pkesk in &pkesks {
            let mut keypair = secret.clone().into_keypair().unwrap();
            let (_, key) = pkesk.decrypt(&mut keypair, None).unwrap();
            assert_eq!(&key[..], &session_key[..]);
        }
    });

    // The shared point alone, from one secret (any 32 bytes: X25519 clamps
    // them) and the senders' ephemeral keys.
    let scalar = [7u8; 32];
    let peers: Vec<Vec<u8>> = pkesks
        .iter()
        .map(|pkesk| match pkesk {
            PKESK::V3(p) => match p.esk() {
                Ciphertext::ECDH { e, .. } => e.decode_point(&Curve::Cv25519).unwrap().0.to_vec(),
                _ => unreachable!("an ECDH ciphertext"),
            },
            _ => unreachable!("a v3 PKESK"),
        })
        .collect();
    let openssl_secret = openssl::pkey::PKey::private_key_from_raw_bytes(&scalar, openssl::pkey::Id::X25519).unwrap();
    let aws_secret =
        aws_lc_rs::agreement::PrivateKey::from_private_key(&aws_lc_rs::agreement::X25519, &scalar).unwrap();
    let mut shared_openssl = Vec::new();
    let openssl_us = per_message(&mut || {
        shared_openssl.clear();
        for peer in &peers {
            let peer = openssl::pkey::PKey::public_key_from_raw_bytes(peer, openssl::pkey::Id::X25519).unwrap();
            let mut deriver = openssl::derive::Deriver::new(&openssl_secret).unwrap();
            deriver.set_peer(&peer).unwrap();
            shared_openssl.push(deriver.derive_to_vec().unwrap());
        }
    });
    let mut shared_aws = Vec::new();
    let aws_us = per_message(&mut || {
        shared_aws.clear();
        for peer in &peers {
            let peer = aws_lc_rs::agreement::UnparsedPublicKey::new(&aws_lc_rs::agreement::X25519, peer);
            shared_aws.push(aws_lc_rs::agreement::agree(&aws_secret, peer, (), |s| Ok(s.to_vec())).unwrap());
        }
    });
    assert_eq!(shared_openssl, shared_aws, "both compute the same shared points");

    println!("X25519 per message ({MESSAGES} messages, median of {RUNS} runs)");
    println!("  held key (sync), AWS-LC        {held_us:6.1} µs");
    println!("  sequoia KeyPair (read), OpenSSL {sequoia_us:6.1} µs");
    println!("  shared point, OpenSSL 3.0      {openssl_us:6.1} µs");
    println!("  shared point, AWS-LC           {aws_us:6.1} µs");
}
