//! Ctrl-C and SIGTERM while rotating. The first one asks the run to stop: the action in flight
//! is finished and journaled, its new values saved, what was done and what is left printed,
//! and the run exits 130 (SIGINT) or 143 (SIGTERM). A second one stops the process at once
//! with the same code; the journal still tells the truth (an intent with no outcome), and the
//! next run settles it ([`super::resume`]).
//!
//! Installed only around the rotations: before them (scanning, planning, the question on the
//! terminal) nothing has changed and the default behaviour, stopping at once, is right.

use anyhow::Result;
use signal_hook::consts::signal::{SIGINT, SIGTERM};
use signal_hook::flag;
use signal_hook::SigId;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The exit code of a run stopped by SIGINT.
pub(crate) const SIGINT_EXIT: u8 = 130;
/// The exit code of a run stopped by SIGTERM.
pub(crate) const SIGTERM_EXIT: u8 = 143;

/// The handlers, while installed.
pub(crate) struct Interrupt {
    /// The exit code of the first signal (0: none yet).
    which: Arc<AtomicUsize>,
    ids: Vec<SigId>,
    done: Arc<AtomicBool>,
    /// Ctrl-C is this run's to handle while installed (a spinner's handler stands aside).
    _deferred: crate::util::progress::Deferred,
}

impl Interrupt {
    /// Install the handlers; a thread says on standard error, at once, that the run is
    /// stopping.
    pub(crate) fn install() -> Result<Interrupt> {
        let armed = Arc::new(AtomicBool::new(false));
        let which = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::new();
        for (sig, code) in [(SIGINT, SIGINT_EXIT), (SIGTERM, SIGTERM_EXIT)] {
            // The order matters: a second signal finds the flag the first one set.
            ids.push(flag::register_conditional_shutdown(
                sig,
                i32::from(code),
                armed.clone(),
            )?);
            ids.push(flag::register(sig, armed.clone())?);
            ids.push(flag::register_usize(sig, which.clone(), usize::from(code))?);
        }
        let done = Arc::new(AtomicBool::new(false));
        {
            let (which, done) = (which.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    if which.load(Ordering::SeqCst) != 0 {
                        eprintln!(
                            "\nupsweep: interrupted: finishing and recording the action in \
                             flight, then stopping (interrupt again to stop at once)"
                        );
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
        Ok(Interrupt {
            which,
            ids,
            done,
            _deferred: crate::util::progress::defer_interrupts(),
        })
    }

    /// The exit code of the signal received, if one was.
    pub(crate) fn signalled(&self) -> Option<u8> {
        match self.which.load(Ordering::SeqCst) {
            0 => None,
            n => u8::try_from(n).ok(),
        }
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}
