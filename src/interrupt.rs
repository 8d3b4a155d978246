//! What Ctrl-C (SIGINT) does at the few steps a command must not leave
//! silently, and so a closed terminal (SIGHUP) and SIGTERM: while a `Guard`
//! lives, the signal first says what was left behind (`Guard::saying`) and
//! removes what must not stay (`Guard::removing`), then ends the process
//! as it would have, so a shell loop still sees a death by that signal. A
//! process told to ignore one (started in the background by a script, or
//! by nohup) goes on ignoring it.

use std::path::Path;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};

/// The text Ctrl-C writes to stderr (null for none), and its length
/// (stored before the pointer).
static NOTICE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static NOTICE_LEN: AtomicUsize = AtomicUsize::new(0);
/// The file Ctrl-C removes (a NUL-terminated path; null for none).
static REMOVE: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

/// Ctrl-C's action while it lives; the one before is put back when it is
/// dropped, with its notice or removal taken back.
pub struct Guard {
    previous: [libc::sigaction; SIGNALS.len()],
    slot: Slot,
}

/// The signals a guard handles.
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGHUP, libc::SIGTERM];

enum Slot {
    Notice,
    Removal,
}

impl Guard {
    /// Ctrl-C writes `notice` to stderr, on a line of its own.
    pub fn saying(notice: &str) -> Guard {
        // Leaked once per guard: the handler may still read it.
        let text: &'static mut [u8] = Box::leak(format!("\n{notice}\n").into_bytes().into_boxed_slice());
        NOTICE_LEN.store(text.len(), SeqCst);
        NOTICE.store(text.as_mut_ptr(), SeqCst);
        Guard { previous: install(), slot: Slot::Notice }
    }

    /// Ctrl-C removes the file at `path` (a partial file that must not
    /// stay, as the user stopped what was writing it).
    pub fn removing(path: &Path) -> Guard {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap_or_default();
        // Leaked once per guard, as the notice.
        REMOVE.store(path.into_raw(), SeqCst);
        Guard { previous: install(), slot: Slot::Removal }
    }
}

/// Takes back the notice of the guard saying one: it is not true any more.
pub fn unsay() {
    NOTICE.store(std::ptr::null_mut(), SeqCst);
}

impl Drop for Guard {
    fn drop(&mut self) {
        for (signal, previous) in SIGNALS.iter().zip(&self.previous) {
            // SAFETY: puts back the action this replaced.
            unsafe {
                libc::sigaction(*signal, previous, std::ptr::null_mut());
            }
        }
        match self.slot {
            Slot::Notice => unsay(),
            Slot::Removal => REMOVE.store(std::ptr::null_mut(), SeqCst),
        }
    }
}

/// Makes `on_interrupt` the action of each of `SIGNALS`, unless it is
/// ignored; the actions before.
fn install() -> [libc::sigaction; SIGNALS.len()] {
    SIGNALS.map(|signal| {
        // SAFETY: a zeroed sigaction is a valid value to fill in; the
        // handler only makes async-signal-safe calls, and blocks the other
        // signals while it runs.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            for other in SIGNALS {
                libc::sigaddset(&mut action.sa_mask, other);
            }
            let mut previous: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &mut previous);
            if previous.sa_sigaction != libc::SIG_IGN {
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
            previous
        }
    })
}

extern "C" fn on_interrupt(signal: libc::c_int) {
    let (text, len, remove) = (NOTICE.load(SeqCst), NOTICE_LEN.load(SeqCst), REMOVE.load(SeqCst));
    // SAFETY: only async-signal-safe calls. `text` is null or a leaked
    // buffer of `len` bytes; `remove` is null or a leaked NUL-terminated
    // path; setting the default action and raising the signal again ends
    // the process as the signal would have (once the handler returns: the
    // signal is blocked while it runs).
    unsafe {
        if !remove.is_null() {
            libc::unlink(remove);
        }
        if !text.is_null() {
            libc::write(2, text.cast(), len);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}
