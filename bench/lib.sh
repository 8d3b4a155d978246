# Shared by the benchmark scripts: a release build, a scratch folder, a
# measuring function, a pair of sealpost users and a pair of gpg users.
# Source it after setting `runs`; it sets `bin`, `work` and `gpg_`.
cargo build --release --quiet
bin=$PWD/target/release/sealpost
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() { # label, then the command; stdin from $work/stdin
  local label=$1; shift
  local times=() mems=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    /usr/bin/time -v -o "$work/time" "$@" < "$work/stdin" > /dev/null 2>>"$work/err" || { cat "$work/err"; exit 1; }
    end=$(date +%s%N)
    times+=("$(echo "($end - $start) / 1000000000" | bc -l)")
    mems+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")")
  done
  local t m
  t=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  m=$(printf '%s\n' "${mems[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-44s median %6.3f s   peak RSS %6.1f MiB   (%s runs)\n' "$label" "$t" "$(echo "$m/1024" | bc -l)" "$runs"
}

setup_pair() { # work factor flag (may be empty)
  local dir=$1; shift
  mkdir -p "$dir"
  for who in ada sam; do
    (umask 077; echo "benchmark passphrase $who" > "$dir/$who.pass")
  done
  SEALPOST_HOME=$dir/ada SEALPOST_PASSPHRASE_FILE=$dir/ada.pass "$bin" init --name Ada --email ada@practice.example --maildir "$dir/mail" "$@" > /dev/null 2>&1
  SEALPOST_HOME=$dir/sam SEALPOST_PASSPHRASE_FILE=$dir/sam.pass "$bin" init --name Sam --email sam@client.example --maildir "$dir/mail" "$@" > /dev/null 2>&1
  SEALPOST_HOME=$dir/sam "$bin" key export > "$dir/sam.asc"
  SEALPOST_HOME=$dir/ada "$bin" key export > "$dir/ada.asc"
  local sam_fpr ada_fpr
  sam_fpr=$(SEALPOST_HOME=$dir/sam "$bin" key show | sed -n 's/^fingerprint: //p')
  ada_fpr=$(SEALPOST_HOME=$dir/ada "$bin" key show | sed -n 's/^fingerprint: //p')
  export SEALPOST_HOME=$dir/ada SEALPOST_PASSPHRASE_FILE=$dir/ada.pass
  "$bin" contact add sam sam@client.example --key "$dir/sam.asc" > /dev/null
  "$bin" contact verify sam --fingerprint "$sam_fpr" > /dev/null
  export SEALPOST_HOME=$dir/sam SEALPOST_PASSPHRASE_FILE=$dir/sam.pass
  "$bin" contact add ada ada@practice.example --key "$dir/ada.asc" > /dev/null
  "$bin" contact verify ada --fingerprint "$ada_fpr" > /dev/null
  unset SEALPOST_HOME SEALPOST_PASSPHRASE_FILE
}

setup_gpg() {
  export GNUPGHOME=$work/gnupg
  mkdir -m 700 "$GNUPGHOME"
  gpg_=(gpg --batch --no-tty --pinentry-mode loopback --passphrase "" --trust-model always --quiet)
  "${gpg_[@]}" --quick-gen-key "Ada <ada@practice.example>" ed25519 sign never 2>/dev/null
  "${gpg_[@]}" --quick-add-key "$("${gpg_[@]}" --with-colons -k ada@practice.example | awk -F: '/^fpr/ {print $10; exit}')" cv25519 encr never 2>/dev/null
  "${gpg_[@]}" --quick-gen-key "Sam <sam@client.example>" ed25519 sign never 2>/dev/null
  "${gpg_[@]}" --quick-add-key "$("${gpg_[@]}" --with-colons -k sam@client.example | awk -F: '/^fpr/ {print $10; exit}')" cv25519 encr never 2>/dev/null
}
