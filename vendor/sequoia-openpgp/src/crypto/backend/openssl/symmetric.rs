use std::borrow::Cow;

use crate::{Error, Result};

use crate::crypto::{
    SymmetricAlgorithm,
    self,
    mem::Protected,
    symmetric::{BlockCipherMode, Context},
};

use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::CipherCtx;

impl crypto::backend::interface::Symmetric for super::Backend {
    fn supports_algo(algo: SymmetricAlgorithm) -> bool {
        let cipher: &CipherRef = if let Ok(cipher) = algo.make_cfb_cipher() {
            cipher
        } else {
            return false;
        };

        let mut ctx = if let Ok(ctx) = CipherCtx::new() {
            ctx
        } else {
            return false;
        };
        ctx.encrypt_init(Some(cipher), None, None).is_ok()
    }

    fn encryptor_impl(algo: SymmetricAlgorithm, mode: BlockCipherMode,
		      key: &Protected, iv: Cow<'_, [u8]>)
                      -> Result<Box<dyn Context>>
    {
        #[allow(deprecated)]
        match mode {
            BlockCipherMode::CFB => {
                let cipher = algo.make_cfb_cipher()?;
                let mut ctx = CipherCtx::new()?;
                ctx.encrypt_init(Some(cipher), Some(key), Some(&iv))?;
                Ok(Box::new(OpenSslMode::new(ctx)))
            },

            BlockCipherMode::CBC => {
                let cipher = algo.make_cbc_cipher()?;
                let mut ctx = CipherCtx::new()?;
                ctx.encrypt_init(Some(cipher), Some(key), Some(&iv))?;
                ctx.set_padding(false);
                Ok(Box::new(OpenSslMode::new(ctx)))
            },

            BlockCipherMode::ECB => {
                let cipher = algo.make_ecb_cipher()?;
                let mut ctx = CipherCtx::new()?;
                ctx.encrypt_init(Some(cipher), Some(key), None)?;
                ctx.set_padding(false);
                Ok(Box::new(OpenSslMode::new(ctx)))
            },
        }
    }

    fn decryptor_impl(algo: SymmetricAlgorithm, mode: BlockCipherMode,
		      key: &Protected, iv: Cow<'_, [u8]>)
                      -> Result<Box<dyn Context>>
    {
        #[allow(deprecated)]
        match mode {
            BlockCipherMode::CFB => {
                let cipher = algo.make_cfb_cipher()?;
                let mut ctx = CipherCtx::new()?;
                ctx.decrypt_init(Some(cipher), Some(key), Some(&iv))?;
                Ok(Box::new(OpenSslMode::new(ctx)))
            },

            BlockCipherMode::CBC => {
                let cipher = algo.make_cbc_cipher()?;
                let mut ctx = CipherCtx::new()?;
                ctx.decrypt_init(Some(cipher), Some(key), Some(&iv))?;
                ctx.set_padding(false);
                Ok(Box::new(OpenSslMode::new(ctx)))
            },

            BlockCipherMode::ECB => {
                let cipher = algo.make_ecb_cipher()?;
                let mut ctx = CipherCtx::new()?;
                ctx.decrypt_init(Some(cipher), Some(key), None)?;
                ctx.set_padding(false);
                Ok(Box::new(OpenSslMode::new(ctx)))
            },
        }
    }
}

struct OpenSslMode {
    ctx: CipherCtx,
}

impl OpenSslMode {
    fn new(ctx: CipherCtx) -> Self {
        Self { ctx }
    }
}

impl Context for OpenSslMode {
    fn encrypt(&mut self, dst: &mut [u8], src: &[u8]) -> Result<()> {
        // Note that for cipher constructions that OpenSSL considers
        // "streaming" (such as CFB mode) the block size will be
        // always "1" instead of the real block size of the underlying
        // cipher.
        let block_size = self.ctx.block_size();

        // SAFETY: If this is a block cipher we require the source length
        // to be a multiple of the block size.
        if block_size > 1 && src.len() % block_size > 0 {
            return Err(Error::InvalidArgument(
                "src needs to be a multiple of the block size".into()).into());
        }

        // SAFETY: `dst` must be big enough to hold decrypted data.
        if dst.len() < src.len() {
            return Err(Error::InvalidArgument(
                "dst need to be big enough to hold decrypted data".into(),
            )
            .into());
        }

        // SAFETY: This call is safe because either:
        //
        // - this is a streaming cipher (block_size == 1),
        // - or a block cipher (block_size > 1) and `src` and `dst`
        //   are a multiple of the block size, and we don't use any
        //   padding.
        debug_assert_eq!(dst.len(), src.len());
        unsafe {
            self.ctx.cipher_update_unchecked(src, Some(dst))?;
        }

        Ok(())
    }

    fn decrypt(&mut self, dst: &mut [u8], src: &[u8]) -> Result<()> {
        self.encrypt(dst, src)
    }
}

// sealpost: with OpenSSL 3, initializing a context with one of the
// `Cipher::aes_*` ciphers (OpenSSL's `EVP_aes_*`, kept for
// compatibility) looks the algorithm up in OpenSSL's providers again
// (`EVP_CIPHER_fetch`, with its locks) on every `EVP_CipherInit_ex`.
// Opening a message does that three times: the AES key unwrap of its
// session key, the check of the session key, and the decryptor. The AES
// ciphers are fetched once per process instead and reused; OpenSSL 3
// documents fetched ciphers as shareable between threads. Any other
// algorithm, a cipher that cannot be fetched, and OpenSSL before 3
// keep the cipher as upstream has it.

/// The modes an AES cipher is fetched in (rows of `fetched`'s table).
const CFB: usize = 0;
const CBC: usize = 1;
const ECB: usize = 2;

/// The cipher of AES `algo` in `mode` (`CFB`, `CBC` or `ECB`), fetched
/// once, or `legacy` when it cannot be fetched.
#[cfg(sealpost_ossl3)]
fn fetched(algo: SymmetricAlgorithm, mode: usize, legacy: &'static CipherRef)
           -> &'static CipherRef
{
    use std::sync::OnceLock;
    const MODES: [&str; 3] = ["CFB", "CBC", "ECB"];
    static FETCHED: [[OnceLock<Option<Cipher>>; 3]; 3] =
        [const { [const { OnceLock::new() }; 3] }; 3];
    let (index, bits) = match algo {
        SymmetricAlgorithm::AES128 => (0, 128),
        SymmetricAlgorithm::AES192 => (1, 192),
        SymmetricAlgorithm::AES256 => (2, 256),
        _ => return legacy,
    };
    FETCHED[index][mode]
        .get_or_init(|| {
            let name = format!("AES-{}-{}", bits, MODES[mode]);
            Cipher::fetch(None, &name, None).ok()
        })
        .as_deref()
        .unwrap_or(legacy)
}

/// `legacy`: before OpenSSL 3 there is nothing to fetch.
#[cfg(not(sealpost_ossl3))]
fn fetched(_: SymmetricAlgorithm, _: usize, legacy: &'static CipherRef)
           -> &'static CipherRef
{
    legacy
}

impl SymmetricAlgorithm {
    fn make_cfb_cipher(self) -> Result<&'static CipherRef> {
        #[allow(deprecated)]
        Ok(match self {
            #[cfg(not(osslconf = "OPENSSL_NO_IDEA"))]
            SymmetricAlgorithm::IDEA => Cipher::idea_cfb64(),

            SymmetricAlgorithm::AES128 =>
                fetched(self, CFB, Cipher::aes_128_cfb128()),
            SymmetricAlgorithm::AES192 =>
                fetched(self, CFB, Cipher::aes_192_cfb128()),
            SymmetricAlgorithm::AES256 =>
                fetched(self, CFB, Cipher::aes_256_cfb128()),

            SymmetricAlgorithm::TripleDES => Cipher::des_ede3_cfb64(),

            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia128 => Cipher::camellia128_cfb128(),
            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia192 => Cipher::camellia192_cfb128(),
            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia256 => Cipher::camellia256_cfb128(),

            #[cfg(not(osslconf = "OPENSSL_NO_BF"))]
            SymmetricAlgorithm::Blowfish => Cipher::bf_cfb64(),

            #[cfg(not(osslconf = "OPENSSL_NO_CAST"))]
            SymmetricAlgorithm::CAST5 => Cipher::cast5_cfb64(),
            _ => return Err(Error::UnsupportedSymmetricAlgorithm(self))?,
        })
    }

    fn make_cbc_cipher(self) -> Result<&'static CipherRef> {
        #[allow(deprecated)]
        Ok(match self {
            #[cfg(not(osslconf = "OPENSSL_NO_IDEA"))]
            SymmetricAlgorithm::IDEA => Cipher::idea_cbc(),

            SymmetricAlgorithm::AES128 =>
                fetched(self, CBC, Cipher::aes_128_cbc()),
            SymmetricAlgorithm::AES192 =>
                fetched(self, CBC, Cipher::aes_192_cbc()),
            SymmetricAlgorithm::AES256 =>
                fetched(self, CBC, Cipher::aes_256_cbc()),

            SymmetricAlgorithm::TripleDES => Cipher::des_ede3_cbc(),

            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia128 => Cipher::camellia128_cbc(),
            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia192 => Cipher::camellia192_cbc(),
            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia256 => Cipher::camellia256_cbc(),

            #[cfg(not(osslconf = "OPENSSL_NO_BF"))]
            SymmetricAlgorithm::Blowfish => Cipher::bf_cbc(),

            #[cfg(not(osslconf = "OPENSSL_NO_CAST"))]
            SymmetricAlgorithm::CAST5 => Cipher::cast5_cbc(),
            _ => return Err(Error::UnsupportedSymmetricAlgorithm(self))?,
        })
    }

    fn make_ecb_cipher(self) -> Result<&'static CipherRef> {
        #[allow(deprecated)]
        Ok(match self {
            #[cfg(not(osslconf = "OPENSSL_NO_IDEA"))]
            SymmetricAlgorithm::IDEA => Cipher::idea_ecb(),

            SymmetricAlgorithm::AES128 =>
                fetched(self, ECB, Cipher::aes_128_ecb()),
            SymmetricAlgorithm::AES192 =>
                fetched(self, ECB, Cipher::aes_192_ecb()),
            SymmetricAlgorithm::AES256 =>
                fetched(self, ECB, Cipher::aes_256_ecb()),

            SymmetricAlgorithm::TripleDES => Cipher::des_ede3_ecb(),

            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia128 => Cipher::camellia128_ecb(),
            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia192 => Cipher::camellia192_ecb(),
            #[cfg(not(osslconf = "OPENSSL_NO_CAMELLIA"))]
            SymmetricAlgorithm::Camellia256 => Cipher::camellia256_ecb(),

            #[cfg(not(osslconf = "OPENSSL_NO_BF"))]
            SymmetricAlgorithm::Blowfish => Cipher::bf_ecb(),

            #[cfg(not(osslconf = "OPENSSL_NO_CAST"))]
            SymmetricAlgorithm::CAST5 => Cipher::cast5_ecb(),
            _ => Err(Error::UnsupportedSymmetricAlgorithm(self))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anchors the constants used in Sequoia with the ones from
    /// OpenSSL.
    #[test]
    fn key_size() -> Result<()> {
        for a in SymmetricAlgorithm::variants() {
            if let Ok(cipher) = a.make_cfb_cipher() {
                assert_eq!(a.key_size()?, cipher.key_length());
            }
        }
        Ok(())
    }

    /// sealpost: the AES ciphers fetched once are the ones OpenSSL's
    /// `EVP_aes_*` name: they encrypt and decrypt alike, in every mode,
    /// and with OpenSSL 3 they are in fact fetched (not the legacy ones).
    #[test]
    fn fetched_aes_ciphers_are_openssls_own() -> Result<()> {
        #[allow(deprecated)]
        let legacy: [(SymmetricAlgorithm, [&'static CipherRef; 3]); 3] = [
            (SymmetricAlgorithm::AES128, [Cipher::aes_128_cfb128(),
                Cipher::aes_128_cbc(), Cipher::aes_128_ecb()]),
            (SymmetricAlgorithm::AES192, [Cipher::aes_192_cfb128(),
                Cipher::aes_192_cbc(), Cipher::aes_192_ecb()]),
            (SymmetricAlgorithm::AES256, [Cipher::aes_256_cfb128(),
                Cipher::aes_256_cbc(), Cipher::aes_256_ecb()]),
        ];
        let data: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
        let iv = [0x5a; 16];
        for (algo, legacy) in legacy {
            let key: Vec<u8> = (0..algo.key_size()?).map(|i| i as u8 ^ 0xa5).collect();
            let ours = [algo.make_cfb_cipher()?, algo.make_cbc_cipher()?,
                        algo.make_ecb_cipher()?];
            for (ours, legacy) in ours.into_iter().zip(legacy) {
                #[cfg(sealpost_ossl3)]
                assert!(! std::ptr::eq(ours, legacy), "{:?} not fetched", algo);
                let iv = (ours.iv_length() > 0).then_some(&iv[..]);
                for encrypt in [true, false] {
                    let run = |cipher: &CipherRef| -> Result<Vec<u8>> {
                        let mut ctx = CipherCtx::new()?;
                        if encrypt {
                            ctx.encrypt_init(Some(cipher), Some(&key), iv)?;
                        } else {
                            ctx.decrypt_init(Some(cipher), Some(&key), iv)?;
                        }
                        ctx.set_padding(false);
                        let mut out = vec![0; data.len() + 16];
                        let n = ctx.cipher_update(&data, Some(&mut out))?;
                        out.truncate(n);
                        Ok(out)
                    };
                    let (a, b) = (run(ours)?, run(legacy)?);
                    assert_eq!(a.len(), data.len());
                    assert_eq!(a, b, "{:?}, encrypt {}", algo, encrypt);
                    assert_ne!(a, data);
                }
            }
        }
        Ok(())
    }

    /// Anchors the constants used in Sequoia with the ones from
    /// OpenSSL.
    #[test]
    fn block_size() -> Result<()> {
        for a in SymmetricAlgorithm::variants() {
            if let Ok(cipher) = a.make_ecb_cipher() {
                assert_eq!(a.block_size()?, cipher.block_size());
            }
        }
        Ok(())
    }
}
