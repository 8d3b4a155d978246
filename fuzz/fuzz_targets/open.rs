//! Any bytes as a received mail: `open` must return (never panic, never
//! hang), whatever the status. Seeds in `corpus/open` are real messages to
//! the fixed test key below, so mutations reach the decryptor.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealpost::contacts::{Contacts, Verification};
use sequoia_openpgp::parse::Parse;
use sequoia_openpgp::Cert;

struct Fixture {
    ada: Cert,
    contacts: Contacts,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ada = Cert::from_bytes(include_bytes!("../keys/ada-secret.asc")).unwrap();
        let sam = Cert::from_bytes(include_bytes!("../keys/sam.asc")).unwrap();
        let mut contacts = Contacts::default();
        contacts.add("sam", "sam@client.example", &sam).unwrap();
        contacts.mark_verified("sam", Verification::Fingerprint).unwrap();
        Fixture { ada, contacts }
    })
}

fuzz_target!(|raw: &[u8]| {
    let fixture = fixture();
    let _ = sealpost::message::open(raw, std::slice::from_ref(&fixture.ada), &fixture.contacts);
});
