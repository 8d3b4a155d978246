//! Writes the fixed keys and the seed corpus of the `open` target:
//! `cargo run --bin make-seeds` (in `fuzz/`), once; both are committed.

use std::time::SystemTime;

use sealpost::message::{compose, new_message_id, Draft};
use sequoia_openpgp::serialize::SerializeInto;

fn main() {
    let ada = sealpost::keys::generate("Ada", "ada@practice.example").unwrap();
    let sam = sealpost::keys::generate("Sam", "sam@client.example").unwrap();
    std::fs::create_dir_all("keys").unwrap();
    std::fs::create_dir_all("corpus/open").unwrap();
    std::fs::write("keys/ada-secret.asc", ada.as_tsk().armored().to_vec().unwrap()).unwrap();
    std::fs::write("keys/sam.asc", sam.armored().to_vec().unwrap()).unwrap();
    let draft = |subject: &str, attachments| Draft {
        from_name: "Sam".into(),
        from_address: "sam@client.example".into(),
        to_name: None,
        to_address: "ada@practice.example".into(),
        subject: subject.into(),
        body: "See you on Tuesday.\n".into(),
        attachments,
        message_id: new_message_id("sam@client.example"),
        date: SystemTime::UNIX_EPOCH,
        request_receipt: true,
        in_reply_to: None,
        references: Vec::new(),
    };
    let plain = draft("Plan", Vec::new());
    std::fs::write("corpus/open/verified.eml", compose(&plain, &sam, &ada).unwrap().raw).unwrap();
    let file = sealpost::message::Attachment {
        name: "notes.txt".into(),
        content_type: "text/plain".into(),
        bytes: b"notes".to_vec(),
    };
    std::fs::write("corpus/open/attachment.eml", compose(&draft("Notes", vec![file]), &sam, &ada).unwrap().raw)
        .unwrap();
    std::fs::write("corpus/open/not-encrypted.eml", b"From: sam@client.example\r\nSubject: hi\r\n\r\nhello\r\n")
        .unwrap();
}
