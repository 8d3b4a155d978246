# sealpost aliases for bash and zsh. Source this file from ~/.bashrc or ~/.zshrc:
#
#     . /path/to/sealpost/examples/aliases.sh
#
# Run `sealpost unlock` once in the morning; the aliases then work without a
# passphrase until the agent locks itself (15 minutes without use).

# Reply to the message you read last (`sealpost read`), not simply the newest:
# the body comes from stdin or $EDITOR, and the recipient is shown first. The
# reply always goes to the verified signer's pinned address. (Not `r`: that is
# a zsh built-in, which repeats the last command.)
alias rl='sealpost reply --last'

# Reply to the message read last from one contact, else their newest: rf sam
rf() { sealpost reply --last --from "$1"; }

# Send a note to a client: note sam "Worksheet for Thursday" < note.txt
note() { sealpost send --to "$1" --subject "${2:-Note}"; }

# Fetch, then list what has not been read yet. A sync that could not deliver
# everything (exit 6: kept in the outbox, retried next time) still fetched:
# the inbox is listed all the same.
unread() {
  sealpost sync >/dev/null
  set -- "$?"
  case $1 in
    0 | 6) sealpost inbox --unread ;;
    *) return "$1" ;;
  esac
}
