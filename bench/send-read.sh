#!/usr/bin/env bash
# Wall time and peak memory of `sealpost send` (10 KB body) and `sealpost read`,
# beside `gpg --sign --encrypt` and `gpg --decrypt` of the same body with the
# same key type (Ed25519 + Curve25519): wall time from the clock around each
# run, peak memory from /usr/bin/time -v.
#
#   bash bench/send-read.sh [RUNS]      (default 7 runs; prints medians)
#
# sealpost is measured twice: with the default passphrase work factor (what a
# user gets: the scrypt unlock dominates) and with the lowest factor, which
# shows the cost of the messaging work alone.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
source bench/lib.sh
head -c 7500 /dev/urandom | base64 -w 76 | head -c 10240 > "$work/body.txt"

bench_sealpost() { # label suffix, dir
  local suffix=$1 dir=$2
  cp "$work/body.txt" "$work/stdin"
  export SEALPOST_HOME=$dir/ada SEALPOST_PASSPHRASE_FILE=$dir/ada.pass
  measure "sealpost send, 10 KB ($suffix)" "$bin" send --to sam --subject bench
  export SEALPOST_HOME=$dir/sam SEALPOST_PASSPHRASE_FILE=$dir/sam.pass
  "$bin" sync > /dev/null
  : > "$work/stdin"
  measure "sealpost read ($suffix)" "$bin" read 1
  unset SEALPOST_HOME SEALPOST_PASSPHRASE_FILE
}

setup_pair "$work/default"
bench_sealpost "default work factor" "$work/default"
setup_pair "$work/low" --kdf-work-factor 10
bench_sealpost "work factor 10" "$work/low"

setup_gpg
cp "$work/body.txt" "$work/stdin"
measure "gpg --sign --encrypt, 10 KB" "${gpg_[@]}" --armor --sign --encrypt -u ada@practice.example -r sam@client.example -r ada@practice.example
"${gpg_[@]}" --armor --sign --encrypt -u ada@practice.example -r sam@client.example < "$work/body.txt" > "$work/stdin"
measure "gpg --decrypt" "${gpg_[@]}" --decrypt
echo "machine: $(nproc) cores; $(gpg --version | head -1); $("$bin" --version)"
