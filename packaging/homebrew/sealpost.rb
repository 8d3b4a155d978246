# Homebrew formula for sealpost, built from the release's source tarball:
# `git archive --prefix=sealpost-0.1.0/ -o sealpost-0.1.0.tar.gz v0.1.0`.
# Not the .crate `cargo package` makes: that drops the `[patch]` that
# builds sealpost with its patched lettre (vendor/lettre/SEALPOST.md).
# Not tested by CI (no macOS here): check with
#   brew install --build-from-source ./packaging/homebrew/sealpost.rb
#   brew test sealpost
# At a release, set `url` to where the tarball is published and `sha256`
# to `shasum -a 256` of it.
class Sealpost < Formula
  desc "End-to-end encrypted, signed messaging over ordinary email"
  homepage "https://sealpost.invalid"
  url "https://sealpost.invalid/releases/sealpost-0.1.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license any_of: ["MIT", "Apache-2.0"]

  depends_on "pkgconf" => :build
  depends_on "rust" => :build
  depends_on "openssl@3"

  def install
    ENV["OPENSSL_DIR"] = Formula["openssl@3"].opt_prefix
    system "cargo", "install", *std_cargo_args
    man1.install Dir["man/*.1"]
    bash_completion.install "completions/sealpost.bash" => "sealpost"
    zsh_completion.install "completions/_sealpost"
    fish_completion.install "completions/sealpost.fish"
  end

  test do
    # The whole flow between two local identities, offline.
    ENV["SEALPOST_HOME"] = testpath/"home"
    assert_match "complete", shell_output("#{bin}/sealpost demo --json")
  end
end
