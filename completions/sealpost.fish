# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sealpost_global_optspecs
    string join \n passphrase-file= json h/help V/version
end

function __fish_sealpost_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sealpost_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sealpost_using_subcommand
    set -l cmd (__fish_sealpost_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sealpost -n "__fish_sealpost_needs_command" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_needs_command" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sealpost -n "__fish_sealpost_needs_command" -s V -l version -d 'Print version'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "init" -d 'Create an identity, an encrypted store and a config'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "key" -d 'Show or export your own key'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "contact" -d 'Pin, list and verify contacts\' keys'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "account" -d 'Check and configure the mail account'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "send" -d 'Encrypt, sign and send a message to a verified contact'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "outbox" -d 'List queued messages, or retry them with --flush'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "sync" -d 'Deliver the outbox and fetch, decrypt and verify new mail'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "inbox" -d 'List received messages with their status'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "read" -d 'Show one received message with its status'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "reply" -d 'Reply to a verified message: always to the signer\'s pinned address'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "invite" -d 'Make an invite code that lets someone join and verify keys in one step'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "join" -d 'Join with an invite code: exchange and verify keys over mail'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "sent" -d 'List sent messages: queued, sent, or read (with a signed receipt); `sent show N` shows one as it was sent'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "status" -d 'Show one sent message with its delivery and read-receipt state'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "backup" -d 'Write the whole store as one encrypted file, or check one with --verify'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "restore" -d 'Restore a backup into an empty home'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "audit" -d 'List the audit log (who did what, when; never content), or check its hash chain with --verify'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "retention" -d 'List each contact\'s retention: the period, when it ends, holds'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "export" -d 'Write one contact\'s whole record as one signed file, or check one with --verify'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "forget" -d 'Dispose of one contact\'s records: crypto-erase every local copy, optionally delete their messages on the server; leaves a tombstone'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "unlock" -d 'Unlock once: an agent keeps the keys in memory until idle, then locks itself'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "lock" -d 'Lock now: end the unlock agent, wiping the keys from memory'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "demo" -d 'Run the whole flow, offline, between two local identities'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "agent-serve" -d 'The unlock agent itself (started by `sealpost unlock`)'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "generate-docs" -d 'Write the man pages and shell completions'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "complete-contacts" -d 'Contact aliases for the shell completions, one a line (never prompts)'
complete -c sealpost -n "__fish_sealpost_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l name -d 'Your name, as contacts will see it (required unless --import-key gives a key with one)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l email -d 'Your email address' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l import-key -d 'Adopt an existing OpenPGP secret key (armored or binary) instead of creating one' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l key-passphrase-file -d 'File holding the passphrase of the imported key, if it has one' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l maildir -d 'Deliver and read mail locally: read ROOT/<your address>, deliver into ROOT/<recipient>' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l smtp-host -d 'SMTP submission server host' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l smtp-port -d 'SMTP port (default 587 for starttls, 465 for tls)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l smtp-security -d 'How the SMTP connection is secured [default: starttls]' -r -f -a "tls\t'TLS from the first byte (SMTP 465, IMAP 993)'
starttls\t'Plain connection upgraded with STARTTLS before anything else (SMTP 587, IMAP 143); a server that does not offer it is refused'"
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l imap-host -d 'IMAP server host' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l imap-port -d 'IMAP port (default 993 for tls, 143 for starttls)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l imap-security -d 'How the IMAP connection is secured [default: tls]' -r -f -a "tls\t'TLS from the first byte (SMTP 465, IMAP 993)'
starttls\t'Plain connection upgraded with STARTTLS before anything else (SMTP 587, IMAP 143); a server that does not offer it is refused'"
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l username -d 'Login name for both servers (default: your address)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l password-command -d 'Command printing the mail password, e.g. "pass show mail"' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l ca-file -d 'A private CA (PEM) to trust for both servers instead of the system roots' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l kdf-work-factor -d 'Lower the passphrase work factor (log2 of scrypt\'s cost) for tests and demos; the default takes about a second' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l oauth2-client-id -d 'Sign in to both servers with OAuth2 as this application (client) id, registered by your practice with the provider, instead of passwords; then run `sealpost account login`' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l oauth2-device-url -d 'The provider\'s OAuth2 device authorization endpoint (known for Microsoft)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l oauth2-token-url -d 'The provider\'s OAuth2 token endpoint (known for Microsoft)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l oauth2-scope -d 'A scope to ask for (repeat for several; known for Microsoft)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l yes -d 'Use the mail settings found for a known provider without asking (for scripts; without a terminal they are otherwise refused)'
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -f -a "show" -d 'Show your address and fingerprint'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -f -a "export" -d 'Print your public certificate, armored, for your contacts'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -f -a "recovery" -d 'Make a recovery key for emergency access without the passphrase (printed once)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -f -a "passphrase" -d 'Choose a new passphrase; with --recovery-key, without knowing the old one'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -f -a "rotate" -d 'Make a new key, announce it to verified contacts signed by the old one, keep the old one for reading'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and not __fish_seen_subcommand_from show export recovery passphrase rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from show" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from export" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from export" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from recovery" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from recovery" -l rotate -d 'Replace the recovery key: the old one stops opening the store and new backups'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from recovery" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from recovery" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from passphrase" -l recovery-key -d 'A file holding the recovery key (AGE-SECRET-KEY-1...), or - for stdin' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from passphrase" -l new-passphrase-file -d 'Read the new passphrase from this file instead of prompting twice' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from passphrase" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from passphrase" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from passphrase" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from rotate" -l reason -d 'Why the old key is revoked' -r -f -a "compromised\t'The old key may be known to someone else (a lost or stolen device)'
superseded\t'The old key is simply replaced'"
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from rotate" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from rotate" -l revoke-old -d 'Also revoke the old key (signed by it) and send the revocation with the announcement, so contacts, gpg and Thunderbird stop trusting it: use it when the old key may be in someone else\'s hands'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from rotate" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show your address and fingerprint'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print your public certificate, armored, for your contacts'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "recovery" -d 'Make a recovery key for emergency access without the passphrase (printed once)'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "passphrase" -d 'Choose a new passphrase; with --recovery-key, without knowing the old one'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Make a new key, announce it to verified contacts signed by the old one, keep the old one for reading'
complete -c sealpost -n "__fish_sealpost_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "add" -d 'Pin a contact\'s certificate for an address (state: unverified)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "list" -d 'List contacts with their state'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "show" -d 'Show one contact, its fingerprint and the safety code'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "consent" -d 'Record the client\'s consent to electronic messaging'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "hold" -d 'Put a contact\'s records on legal hold: `forget` refuses them'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "release" -d 'End a legal hold'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "retention" -d 'Set how long this contact\'s records are kept (7y, 18m, 90d, none), or `practice` for the practice\'s period'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "verify" -d 'Verify a contact\'s key: compare the safety code, or check the fingerprint'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and not __fish_seen_subcommand_from add list show consent hold release retention verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from add" -l key -d 'The certificate file, armored or binary; - for stdin' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from add" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from add" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from list" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from show" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from consent" -l date -d 'The day they consented (YYYY-MM-DD)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from consent" -l note -d 'The terms, or where the signed form is kept' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from consent" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from consent" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from consent" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from hold" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from hold" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from hold" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from release" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from release" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from release" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from retention" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from retention" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from retention" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from verify" -l fingerprint -d 'The fingerprint the contact read out to you' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from verify" -l code -d 'The safety code the contact read out from their screen' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from verify" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from verify" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "add" -d 'Pin a contact\'s certificate for an address (state: unverified)'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "list" -d 'List contacts with their state'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one contact, its fingerprint and the safety code'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "consent" -d 'Record the client\'s consent to electronic messaging'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "hold" -d 'Put a contact\'s records on legal hold: `forget` refuses them'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "release" -d 'End a legal hold'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "retention" -d 'Set how long this contact\'s records are kept (7y, 18m, 90d, none), or `practice` for the practice\'s period'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Verify a contact\'s key: compare the safety code, or check the fingerprint'
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -f -a "check" -d 'Connect to both servers and report TLS, certificate, login and folders'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -f -a "set-password" -d 'Store a server password in the encrypted store (read from stdin, or prompted)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -f -a "login" -d 'Sign in to the mail account with OAuth2 (the config\'s [oauth2] section): shows a web address and a code to enter on any browser'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -f -a "logout" -d 'Forget the OAuth2 sign-in kept in the store'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and not __fish_seen_subcommand_from check set-password login logout help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from check" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from check" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from set-password" -l server -d 'Which server the password is for (both when absent)' -r -f -a "smtp\t''
imap\t''"
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from set-password" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from set-password" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from set-password" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from login" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from login" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from logout" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from logout" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from logout" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "check" -d 'Connect to both servers and report TLS, certificate, login and folders'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "set-password" -d 'Store a server password in the encrypted store (read from stdin, or prompted)'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "login" -d 'Sign in to the mail account with OAuth2 (the config\'s [oauth2] section): shows a web address and a code to enter on any browser'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "logout" -d 'Forget the OAuth2 sign-in kept in the store'
complete -c sealpost -n "__fish_sealpost_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand send" -l to -d 'Recipient: a verified contact\'s alias or address' -r -f -a "(sealpost complete-contacts 2>/dev/null)"
complete -c sealpost -n "__fish_sealpost_using_subcommand send" -s s -l subject -d 'Subject (encrypted; the outside shows "...")' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand send" -l attach -d 'Attach a file (repeatable)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand send" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand send" -l no-receipt -d 'Do not ask the recipient for a signed read receipt'
complete -c sealpost -n "__fish_sealpost_using_subcommand send" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand send" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand outbox" -l cancel -d 'Withdraw a queued message (its Message-ID, as `outbox` lists it): it is never sent. One the server accepted cannot be withdrawn' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand outbox" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand outbox" -l flush -d 'Try to deliver every queued message now'
complete -c sealpost -n "__fish_sealpost_using_subcommand outbox" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand outbox" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand sync" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand sync" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand sync" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand inbox" -l limit -d 'List the newest N messages [default: 50; with --json, all]' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand inbox" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand inbox" -l unread -d 'Only messages not yet shown by `read`'
complete -c sealpost -n "__fish_sealpost_using_subcommand inbox" -l all -d 'List every message, however many'
complete -c sealpost -n "__fish_sealpost_using_subcommand inbox" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand inbox" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand read" -l save-attachments -d 'Save the attachments into this folder (never overwriting)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand read" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand read" -l last -d 'The newest message'
complete -c sealpost -n "__fish_sealpost_using_subcommand read" -l no-receipt -d 'Send no read receipt for this reading, even if the sender asked for one'
complete -c sealpost -n "__fish_sealpost_using_subcommand read" -l unverified -d 'Show the content of a message that is not verified, under a warning, with the sender as "claims to be" (it was decrypted intact, but nothing shows who wrote it)'
complete -c sealpost -n "__fish_sealpost_using_subcommand read" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand read" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -l from -d 'With --last: the message read last if it is a verified one from this contact, else their newest verified one' -r -f -a "(sealpost complete-contacts 2>/dev/null)"
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -l attach -d 'Attach a file (repeatable)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -l last -d 'The message `read` showed last, if verified (not the newest: that may be another client\'s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -l quote -d 'Quote the text `read` showed as verified (never other parts, never ciphertext)'
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -l no-receipt -d 'Do not ask for a signed read receipt'
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand reply" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -l for -d 'Only this address may join with the code' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -l expires -d 'How long the code works: 7d, 12h, 30m (at most 90d)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -l revoke -d 'Revoke an open or answered invite (its token, as --list shows it)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -l list -d 'List invites and where each stands'
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -l qr -d 'Also draw the code as a QR code, for a phone\'s camera'
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand invite" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l wait -d 'Keep syncing until the join completes, for at most SECONDS (1 to 3600) [default: 300]: in a session together, the inviter\'s sync answers while you wait, and the next `sync` brings their first note' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l import-key -d 'Adopt an existing OpenPGP secret key (armored or binary) instead of creating one' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l key-passphrase-file -d 'File holding the passphrase of the imported key, if it has one' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l maildir -d 'Deliver and read mail locally: read ROOT/<your address>, deliver into ROOT/<recipient>' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l smtp-host -d 'SMTP submission server host' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l smtp-port -d 'SMTP port (default 587 for starttls, 465 for tls)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l smtp-security -d 'How the SMTP connection is secured [default: starttls]' -r -f -a "tls\t'TLS from the first byte (SMTP 465, IMAP 993)'
starttls\t'Plain connection upgraded with STARTTLS before anything else (SMTP 587, IMAP 143); a server that does not offer it is refused'"
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l imap-host -d 'IMAP server host' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l imap-port -d 'IMAP port (default 993 for tls, 143 for starttls)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l imap-security -d 'How the IMAP connection is secured [default: tls]' -r -f -a "tls\t'TLS from the first byte (SMTP 465, IMAP 993)'
starttls\t'Plain connection upgraded with STARTTLS before anything else (SMTP 587, IMAP 143); a server that does not offer it is refused'"
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l username -d 'Login name for both servers (default: your address)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l password-command -d 'Command printing the mail password, e.g. "pass show mail"' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l ca-file -d 'A private CA (PEM) to trust for both servers instead of the system roots' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l kdf-work-factor -d 'Lower the passphrase work factor (log2 of scrypt\'s cost) for tests and demos; the default takes about a second' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l oauth2-client-id -d 'Sign in to both servers with OAuth2 as this application (client) id, registered by your practice with the provider, instead of passwords; then run `sealpost account login`' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l oauth2-device-url -d 'The provider\'s OAuth2 device authorization endpoint (known for Microsoft)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l oauth2-token-url -d 'The provider\'s OAuth2 token endpoint (known for Microsoft)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l oauth2-scope -d 'A scope to ask for (repeat for several; known for Microsoft)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l email -d 'Your email address' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l name -d 'Your name, as contacts will see it (required unless --import-key gives a key with one)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l yes -d 'Use the mail settings found for a known provider without asking (for scripts; without a terminal they are otherwise refused)'
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand join" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and not __fish_seen_subcommand_from show help" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and not __fish_seen_subcommand_from show help" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and not __fish_seen_subcommand_from show help" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and not __fish_seen_subcommand_from show help" -f -a "show" -d 'Show a note as it was sent: recipient, the key it was encrypted to, receipt state, body and attachments'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and not __fish_seen_subcommand_from show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and __fish_seen_subcommand_from show" -l save-attachments -d 'Save the attachments into this folder (never overwriting a file)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and __fish_seen_subcommand_from show" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a note as it was sent: recipient, the key it was encrypted to, receipt state, body and attachments'
complete -c sealpost -n "__fish_sealpost_using_subcommand sent; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand status" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand status" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand status" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand backup" -l to -d 'Also encrypt to this age recipient (age1...), e.g. the practice\'s safe (repeatable)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand backup" -l identity -d 'With --verify: open with this age identity file (a --to recipient\'s key, or the recovery key)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand backup" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand backup" -l verify -d 'Check that FILE opens and holds every file its manifest lists; write nothing'
complete -c sealpost -n "__fish_sealpost_using_subcommand backup" -l force -d 'Replace FILE if it exists'
complete -c sealpost -n "__fish_sealpost_using_subcommand backup" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand backup" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand restore" -l identity -d 'Open with this age identity file (a --to recipient\'s key, or the recovery key) instead of the passphrase' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand restore" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand restore" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand restore" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand audit" -l contact -d 'Only the entries about this contact (alias or address)' -r -f -a "(sealpost complete-contacts 2>/dev/null)"
complete -c sealpost -n "__fish_sealpost_using_subcommand audit" -l since -d 'Only the entries from this day on (YYYY-MM-DD, UTC)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand audit" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand audit" -l verify -d 'Recompute the hash chain and name the first entry that breaks it (exit 4)'
complete -c sealpost -n "__fish_sealpost_using_subcommand audit" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand audit" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand retention" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand retention" -l due -d 'Only the contacts whose records are past their retention period'
complete -c sealpost -n "__fish_sealpost_using_subcommand retention" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand retention" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l contact -d 'The contact (alias or address) whose record is exported' -r -f -a "(sealpost complete-contacts 2>/dev/null)"
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l out -d 'The file to write (never overwritten)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l to -d 'Encrypt it to this age recipient (age1...); repeat for more' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l export-passphrase-file -d 'The file holding the export\'s passphrase (for --to-passphrase and --verify)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l identity -d 'An age identity file to open an export encrypted to a recipient (--verify)' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l verify -d 'Check an export: every file against the signed manifest' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l to-passphrase -d 'Encrypt it with a passphrase (asked twice on the terminal, or read from --export-passphrase-file)'
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l plaintext -d 'Write it unencrypted (a client\'s health record in the clear: only onto media you control)'
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand export" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand forget" -l contact -d 'The contact (alias or address) whose records are disposed of' -r -f -a "(sealpost complete-contacts 2>/dev/null)"
complete -c sealpost -n "__fish_sealpost_using_subcommand forget" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand forget" -l server -d 'Also delete their messages from the IMAP inbox and sent folder (or the local Maildir)'
complete -c sealpost -n "__fish_sealpost_using_subcommand forget" -l yes -d 'Do not ask: for scripts (without a terminal, nothing is disposed of unless this is given)'
complete -c sealpost -n "__fish_sealpost_using_subcommand forget" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand forget" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand unlock" -l for -d 'Lock again after this long without use: 15m, 2h, 30s (default: `agent_idle` in the config, else 15m)' -r
complete -c sealpost -n "__fish_sealpost_using_subcommand unlock" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand unlock" -l status -d 'Only say whether the store is unlocked, and until when without use'
complete -c sealpost -n "__fish_sealpost_using_subcommand unlock" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand unlock" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand lock" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand lock" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand lock" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand demo" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand demo" -l keep -d 'Keep the demo folder instead of deleting it'
complete -c sealpost -n "__fish_sealpost_using_subcommand demo" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand demo" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand agent-serve" -l socket -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand agent-serve" -l idle-seconds -r
complete -c sealpost -n "__fish_sealpost_using_subcommand agent-serve" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand agent-serve" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand agent-serve" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand generate-docs" -l out -d 'Folder to write man/ and completions/ into' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand generate-docs" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand generate-docs" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand complete-contacts" -l passphrase-file -d 'Read the store passphrase from this file instead of prompting' -r -F
complete -c sealpost -n "__fish_sealpost_using_subcommand complete-contacts" -l json -d 'Print one JSON document instead of text; errors become JSON on stderr (schema: docs/json.md)'
complete -c sealpost -n "__fish_sealpost_using_subcommand complete-contacts" -s h -l help -d 'Print help'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "init" -d 'Create an identity, an encrypted store and a config'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "key" -d 'Show or export your own key'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "contact" -d 'Pin, list and verify contacts\' keys'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "account" -d 'Check and configure the mail account'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "send" -d 'Encrypt, sign and send a message to a verified contact'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "outbox" -d 'List queued messages, or retry them with --flush'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "sync" -d 'Deliver the outbox and fetch, decrypt and verify new mail'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "inbox" -d 'List received messages with their status'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "read" -d 'Show one received message with its status'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "reply" -d 'Reply to a verified message: always to the signer\'s pinned address'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "invite" -d 'Make an invite code that lets someone join and verify keys in one step'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "join" -d 'Join with an invite code: exchange and verify keys over mail'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "sent" -d 'List sent messages: queued, sent, or read (with a signed receipt); `sent show N` shows one as it was sent'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "status" -d 'Show one sent message with its delivery and read-receipt state'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "backup" -d 'Write the whole store as one encrypted file, or check one with --verify'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "restore" -d 'Restore a backup into an empty home'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "audit" -d 'List the audit log (who did what, when; never content), or check its hash chain with --verify'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "retention" -d 'List each contact\'s retention: the period, when it ends, holds'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "export" -d 'Write one contact\'s whole record as one signed file, or check one with --verify'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "forget" -d 'Dispose of one contact\'s records: crypto-erase every local copy, optionally delete their messages on the server; leaves a tombstone'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "unlock" -d 'Unlock once: an agent keeps the keys in memory until idle, then locks itself'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "lock" -d 'Lock now: end the unlock agent, wiping the keys from memory'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "demo" -d 'Run the whole flow, offline, between two local identities'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "agent-serve" -d 'The unlock agent itself (started by `sealpost unlock`)'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "generate-docs" -d 'Write the man pages and shell completions'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "complete-contacts" -d 'Contact aliases for the shell completions, one a line (never prompts)'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and not __fish_seen_subcommand_from init key contact account send outbox sync inbox read reply invite join sent status backup restore audit retention export forget unlock lock demo agent-serve generate-docs complete-contacts help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "show" -d 'Show your address and fingerprint'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "export" -d 'Print your public certificate, armored, for your contacts'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "recovery" -d 'Make a recovery key for emergency access without the passphrase (printed once)'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "passphrase" -d 'Choose a new passphrase; with --recovery-key, without knowing the old one'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "rotate" -d 'Make a new key, announce it to verified contacts signed by the old one, keep the old one for reading'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "add" -d 'Pin a contact\'s certificate for an address (state: unverified)'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "list" -d 'List contacts with their state'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "show" -d 'Show one contact, its fingerprint and the safety code'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "consent" -d 'Record the client\'s consent to electronic messaging'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "hold" -d 'Put a contact\'s records on legal hold: `forget` refuses them'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "release" -d 'End a legal hold'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "retention" -d 'Set how long this contact\'s records are kept (7y, 18m, 90d, none), or `practice` for the practice\'s period'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from contact" -f -a "verify" -d 'Verify a contact\'s key: compare the safety code, or check the fingerprint'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "check" -d 'Connect to both servers and report TLS, certificate, login and folders'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "set-password" -d 'Store a server password in the encrypted store (read from stdin, or prompted)'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "login" -d 'Sign in to the mail account with OAuth2 (the config\'s [oauth2] section): shows a web address and a code to enter on any browser'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "logout" -d 'Forget the OAuth2 sign-in kept in the store'
complete -c sealpost -n "__fish_sealpost_using_subcommand help; and __fish_seen_subcommand_from sent" -f -a "show" -d 'Show a note as it was sent: recipient, the key it was encrypted to, receipt state, body and attachments'
# Contact aliases (added by `sealpost generate-docs`; never prompts).
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from show verify consent hold release retention" -f -a "(sealpost complete-contacts 2>/dev/null)"
