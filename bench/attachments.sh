#!/usr/bin/env bash
# Wall time and peak memory of `sealpost send` with one attachment of each
# size (MB, random bytes) and of `sealpost read --save-attachments` of it,
# beside `gpg --sign --encrypt` and `gpg --decrypt` of the same file. The
# store's work factor is the lowest, so the figures show the messaging work.
#
#   bash bench/attachments.sh [RUNS] [SIZES...]   (default 3 runs; 1 8 25 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
sizes=("${@:-1 8 25}")
read -r -a sizes <<< "${sizes[*]}"
source bench/lib.sh
setup_pair "$work/pair" --kdf-work-factor 10
setup_gpg
for mb in "${sizes[@]}"; do
  head -c "$((mb * 1024 * 1024))" /dev/urandom > "$work/file.bin"
  echo "See the attached file." > "$work/stdin"
  export SEALPOST_HOME=$work/pair/ada SEALPOST_PASSPHRASE_FILE=$work/pair/ada.pass
  measure "sealpost send, $mb MB attachment" "$bin" send --to sam --subject "file $mb" --attach "$work/file.bin"
  export SEALPOST_HOME=$work/pair/sam SEALPOST_PASSPHRASE_FILE=$work/pair/sam.pass
  "$bin" sync > /dev/null
  last=$("$bin" inbox --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["messages"][-1]["id"])')
  : > "$work/stdin"
  rm -rf "$work/saved"
  measure "sealpost read --save-attachments, $mb MB" "$bin" read "$last" --save-attachments "$work/saved"
  unset SEALPOST_HOME SEALPOST_PASSPHRASE_FILE
  cp "$work/file.bin" "$work/stdin"
  measure "gpg --sign --encrypt, $mb MB" "${gpg_[@]}" --armor --sign --encrypt -u ada@practice.example -r sam@client.example -r ada@practice.example
  "${gpg_[@]}" --armor --sign --encrypt -u ada@practice.example -r sam@client.example < "$work/file.bin" > "$work/stdin"
  measure "gpg --decrypt, $mb MB" "${gpg_[@]}" --decrypt
done
echo "machine: $(nproc) cores; $(gpg --version | head -1); $("$bin" --version)"
