#!/usr/bin/env bash
# A therapist's day with the aliases of examples/aliases.sh, end to end, on
# local Maildirs in a temporary folder: onboarding with an invite, a note to
# the client, the client's reply with `rl`, `unread` on both sides.
#
#     bash examples/therapist-day.sh        (or: zsh examples/therapist-day.sh)
#
# SEALPOST names the binary (default: sealpost on PATH). Prints "day complete"
# and exits 0 when every step did what it should.
set -eu
: "${SEALPOST:=sealpost}"
here=$(cd "$(dirname "$0")" && pwd)
day=$(mktemp -d)
trap 'rm -rf "$day"' EXIT

# The aliases call `sealpost`; run the chosen binary.
sealpost() { "$SEALPOST" "$@"; }
[ -n "${BASH_VERSION:-}" ] && shopt -s expand_aliases
. "$here/aliases.sh"

# Switch identity: each person has a home and a passphrase file.
be() {
  export SEALPOST_HOME="$day/$1" SEALPOST_PASSPHRASE_FILE="$day/$1.pass"
  # A passphrase file must be yours alone (0600); sealpost refuses it otherwise.
  [ -f "$SEALPOST_PASSPHRASE_FILE" ] || (umask 077; echo "day passphrase of $1" > "$SEALPOST_PASSPHRASE_FILE")
}
fail() { echo "FAILED: $*" >&2; exit 1; }

be ada
sealpost init --name "Dr. Ada Moss" --email ada@practice.example --maildir "$day/mail" --kdf-work-factor 10 > /dev/null 2>&1
be sam
sealpost init --name "Sam Lee" --email sam@client.example --maildir "$day/mail" --kdf-work-factor 10 > /dev/null 2>&1

# Onboarding: the code is handed over in session.
be ada
code=$(sealpost invite --for sam@client.example --json | sed -n 's/^ *"code": "\(.*\)",*$/\1/p')
[ -n "$code" ] || fail "no invite code"
be sam; sealpost join "$code" > /dev/null
be ada; sealpost sync > /dev/null
be sam; sealpost sync > /dev/null
be ada; sealpost sync > /dev/null
be sam; sealpost sync | grep -q "ada is verified" || fail "the join did not complete"

# A note to the client.
be ada
echo "Try the breathing exercise twice a day this week." | note sam "This week" > /dev/null

# The client: what is new, read it, reply with the alias.
be sam
unread | grep -q "This week" || fail "the note is not listed as unread"
sealpost read --last | grep -q "breathing exercise" || fail "the note does not read"
unread | grep -q "no unread messages" || fail "the note is still unread after reading"
echo "Will do, thank you." | rl > /dev/null

# The therapist: the reply is there, and the note was read (signed receipt).
be ada
unread | grep -q "Re: This week" || fail "the reply is not listed as unread"
sealpost read --last | grep -q "Will do, thank you." || fail "the reply does not read"
sealpost sent | grep -q "read 20.* by sam" || fail "the note is not shown as read"
echo "day complete"
