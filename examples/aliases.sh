# sealpost aliases for bash and zsh. Source this file from ~/.bashrc or ~/.zshrc:
#
#     . /path/to/sealpost/examples/aliases.sh
#
# Run `sealpost unlock` once in the morning; the aliases then work without a
# passphrase until the agent locks itself (15 minutes without use).

# Reply to the newest verified message; the body comes from stdin or $EDITOR.
# The reply always goes to the verified signer's pinned address.
alias r='sealpost reply --last'

# Reply to the newest verified message from one contact: rf sam
rf() { sealpost reply --last --from "$1"; }

# Send a note to a client: note sam "Worksheet for Thursday" < note.txt
note() { sealpost send --to "$1" --subject "${2:-Note}"; }

# Fetch, then list what has not been read yet.
alias unread='sealpost sync >/dev/null && sealpost inbox --unread'
