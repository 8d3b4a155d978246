#!/usr/bin/env bash
# Wall time of `sealpost reply --last` (a shell alias's call) with the unlock
# agent running versus with a passphrase file, at the default passphrase
# work factor (what a user gets), on local Maildirs. Prints medians.
#
#   bash bench/reply-agent.sh [RUNS]      (default 9 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
cargo build --release --quiet
bin=$PWD/target/release/sealpost
work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
trap 'SEALPOST_HOME=$work/ada "$bin" lock > /dev/null 2>&1 || true; rm -rf "$work"' EXIT

for who in ada sam; do (umask 077; echo "benchmark passphrase $who" > "$work/$who.pass"); done
SEALPOST_HOME=$work/ada SEALPOST_PASSPHRASE_FILE=$work/ada.pass "$bin" init --name Ada --email ada@practice.example --maildir "$work/mail" > /dev/null 2>&1
SEALPOST_HOME=$work/sam SEALPOST_PASSPHRASE_FILE=$work/sam.pass "$bin" init --name Sam --email sam@client.example --maildir "$work/mail" > /dev/null 2>&1
SEALPOST_HOME=$work/sam "$bin" key export > "$work/sam.asc"
SEALPOST_HOME=$work/ada "$bin" key export > "$work/ada.asc"
sam_fpr=$(SEALPOST_HOME=$work/sam "$bin" key show | sed -n 's/^fingerprint: //p')
ada_fpr=$(SEALPOST_HOME=$work/ada "$bin" key show | sed -n 's/^fingerprint: //p')
ada() { SEALPOST_HOME=$work/ada SEALPOST_PASSPHRASE_FILE=$work/ada.pass "$bin" "$@"; }
sam() { SEALPOST_HOME=$work/sam SEALPOST_PASSPHRASE_FILE=$work/sam.pass "$bin" "$@"; }
ada contact add sam sam@client.example --key "$work/sam.asc" > /dev/null
ada contact verify sam --fingerprint "$sam_fpr" > /dev/null
sam contact add ada ada@practice.example --key "$work/ada.asc" > /dev/null
sam contact verify ada --fingerprint "$ada_fpr" > /dev/null
echo "See you Thursday." | sam send --to ada --subject Appointment > /dev/null
ada sync > /dev/null
ada read --last --no-receipt > /dev/null

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_replies() { # label, then how to run sealpost
  local label=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    echo "Thanks, see you then." | "$@" reply --last --no-receipt > /dev/null
    end=$(date +%s%N)
    times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f", (e - s) / 1e9 }')")
  done
  printf '%-48s median %6.3f s   (%s runs)\n' "$label" "$(printf '%s\n' "${times[@]}" | median)" "$runs"
}

time_replies "reply --last, passphrase file (no agent)" ada
ada unlock --for 15m > /dev/null
time_replies "reply --last, unlock agent running" env SEALPOST_HOME="$work/ada" "$bin"
ada lock > /dev/null
