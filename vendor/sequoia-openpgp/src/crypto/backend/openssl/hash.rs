use crate::crypto::hash::Digest;
use crate::types::HashAlgorithm;
use crate::Result;

use openssl::error::ErrorStack;
use openssl::hash::{Hasher, MessageDigest};
use openssl::nid::Nid;

#[derive(Clone)]
struct OpenSslDigest {
    hasher: Hasher,
    update_result: std::result::Result<(), ErrorStack>,
}

impl OpenSslDigest {
    fn new(algo: HashAlgorithm) -> Result<Self> {
        // sealpost: a fresh context is a copy of one made once per thread
        // and algorithm. Making one from scratch has OpenSSL 3 look the
        // algorithm up in its provider tables (under a lock) every time;
        // a copy shares what the first lookup found. See SEALPOST.md.
        thread_local! {
            static MADE: std::cell::RefCell<Vec<(HashAlgorithm, Hasher)>>
                = const { std::cell::RefCell::new(Vec::new()) };
        }
        let made = MADE.with(|made| {
            made.borrow().iter().find(|(a, _)| *a == algo)
                .map(|(_, hasher)| hasher.clone())
        });
        let hasher = match made {
            Some(hasher) => hasher,
            None => {
                let md = get_md(algo).ok_or_else(
                    || crate::Error::UnsupportedHashAlgorithm(algo))?;
                let hasher = Hasher::new(md)?;
                MADE.with(|made| made.borrow_mut().push((algo, hasher.clone())));
                hasher
            }
        };
        Ok(Self { update_result: Ok(()), hasher })
    }
}

impl Digest for OpenSslDigest {
    fn update(&mut self, data: &[u8]) {
        if self.update_result.is_ok() {
            self.update_result = self.hasher.update(data);
        }
    }

    fn digest(&mut self, digest: &mut [u8]) -> Result<()> {
        self.update_result.clone()?;
        let result = self.hasher.finish()?;
        digest.copy_from_slice(&result[..digest.len()]);
        Ok(())
    }
}

impl std::io::Write for OpenSslDigest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        // Do nothing.
        Ok(())
    }
}

fn get_md(algo: HashAlgorithm) -> Option<MessageDigest> {
    use HashAlgorithm::*;
    let nid = match algo {
        MD5 => Nid::MD5,
        RipeMD => Nid::RIPEMD160,
        SHA1 => Nid::SHA1,
        SHA256 => Nid::SHA256,
        SHA384 => Nid::SHA384,
        SHA512 => Nid::SHA512,
        SHA224 => Nid::SHA224,
        SHA3_256 => Nid::SHA3_256,
        SHA3_512 => Nid::SHA3_512,
        HashAlgorithm::Private(_) |
        HashAlgorithm::Unknown(_) => return None,
    };
    MessageDigest::from_nid(nid)
}

impl HashAlgorithm {
    /// Whether Sequoia supports this algorithm.
    pub fn is_supported(self) -> bool {
        // Try to construct a digest.  This indirectly looks up
        // digest's Nid and tries to initialize OpenSSL hasher.  If
        // all of that succeeds the algorithm is supported by the
        // OpenSSL backend.
        //
        // sealpost: the answer is kept per algorithm (0: not asked yet,
        // 1: supported, 2: not); it cannot change while the process runs.
        use std::sync::atomic::{AtomicU8, Ordering};
        static KNOWN: [AtomicU8; 256] = [const { AtomicU8::new(0) }; 256];
        let known = &KNOWN[usize::from(u8::from(self))];
        match known.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => {
                let supported = OpenSslDigest::new(self).is_ok();
                known.store(if supported { 1 } else { 2 }, Ordering::Relaxed);
                supported
            }
        }
    }

    /// Creates a new hash context for this algorithm.
    ///
    /// # Errors
    ///
    /// Fails with `Error::UnsupportedHashAlgorithm` if Sequoia does
    /// not support this algorithm. See
    /// [`HashAlgorithm::is_supported`].
    ///
    ///   [`HashAlgorithm::is_supported`]: HashAlgorithm::is_supported()
    pub(crate) fn new_hasher(self) -> Result<Box<dyn Digest>> {
        Ok(Box::new(OpenSslDigest::new(self)?))
    }
}
