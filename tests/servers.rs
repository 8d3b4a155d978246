//! Against a real Dovecot and Postfix on 127.0.0.1 with TLS.

mod common;

use common::mail_stack::{self, MailStack};
use common::World;

fn server_pair(world: &World, stack: &MailStack) -> (common::Person, common::Person) {
    let ada = world.server_person(stack, "ada", "Dr. Ada Moss", "ada@practice.example");
    let sam = world.server_person(stack, "sam", "Sam Lee", "sam@client.example");
    ada.trust("sam", &sam, world.path());
    sam.trust("ada", &ada, world.path());
    (ada, sam)
}

#[test]
fn two_identities_exchange_verified_messages_through_the_servers() {
    let Some(stack) = mail_stack::start("two_identities_exchange_verified_messages_through_the_servers") else { return };
    let world = World::new();
    let (ada, sam) = server_pair(&world, &stack);

    let check = ada.run(&["account", "check"], "");
    assert_eq!(check.code, 0, "{check:?}\n{}", stack.logs());
    assert!(check.stdout.contains("tls:         TLSv1_3"), "{check:?}");
    assert!(check.stdout.contains("login:       ok as ada@practice.example"), "{check:?}");
    assert!(check.stdout.contains("INBOX"), "{check:?}");

    let sent = ada.run(&["send", "--to", "sam", "--subject", "Over the wire"], "Hello through Postfix.\n");
    assert_eq!(sent.code, 0, "{sent:?}\n{}", stack.logs());
    stack.wait_delivered("sam@client.example", 1);
    let wire = std::fs::read_to_string(&stack.delivered("sam@client.example")[0]).unwrap();
    assert!(wire.contains("multipart/encrypted") && !wire.contains("Over the wire") && !wire.contains("Hello through"));
    // The sender's copy is in its Sent folder on the server.
    let sent_dir = stack.path().join("mail/practice.example/ada/.Sent/cur");
    assert_eq!(std::fs::read_dir(&sent_dir).map(|d| d.count()).unwrap_or(0), 1, "sent copy in {}", sent_dir.display());

    let synced = sam.run(&["sync"], "");
    assert_eq!(synced.code, 0, "{synced:?}");
    assert!(synced.stdout.contains("1 new message(s): 1 verified"), "{synced:?}");
    let read = sam.ok(&["read", "1"], "");
    assert!(read.stdout.starts_with("Status:  verified: signed by ada"), "{read:?}");
    assert!(read.stdout.contains("Hello through Postfix."));
    // Incremental: nothing new, nothing stored twice; nothing removed from the server.
    assert!(sam.ok(&["sync"], "").stdout.contains("fetched 0 new"));
    assert_eq!(stack.delivered("sam@client.example").len(), 1);

    sam.ok(&["send", "--to", "ada", "--subject", "Re: Over the wire"], "Got it.\n");
    stack.wait_delivered("ada@practice.example", 1);
    ada.ok(&["sync"], "");
    let reply = ada.ok(&["read", "--last"], "");
    assert!(reply.stdout.starts_with("Status:  verified: signed by sam"), "{reply:?}");
}
