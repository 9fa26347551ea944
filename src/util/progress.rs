//! What the terminal shows while the user waits: a spinner naming what is being waited for
//! (the account inventory, live checks), a bar for a long history scan, each cleared when
//! done; on Ctrl-C while one is drawn, it is cleared and an `interrupted` line printed (exit
//! 130). Nothing is drawn when standard error is not a terminal, or with `-q`.
//!
//! Ctrl-C is shared with revocation, which stops gracefully while it rotates
//! (`revoke::interrupt`): while it holds [`defer_interrupts`], Ctrl-C is left to it; with
//! nothing drawn and nobody deferring, Ctrl-C stops the program as it would by default.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use signal_hook::consts::signal::SIGINT;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::Duration;

/// What is drawn now, to clear on Ctrl-C.
static DRAWN: Mutex<Vec<ProgressBar>> = Mutex::new(Vec::new());
/// Holders of [`defer_interrupts`].
static DEFERRING: AtomicUsize = AtomicUsize::new(0);
/// True when Ctrl-C should do what it does by default: nothing drawn, nobody deferring.
static DEFAULT: OnceLock<Arc<AtomicBool>> = OnceLock::new();
static HANDLER: Once = Once::new();

/// Exit code of a run interrupted by Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED: i32 = 130;

/// While held, Ctrl-C is left to the holder's own handler (nothing here stops the program).
pub(crate) struct Deferred(());

/// Leave Ctrl-C to the caller's own handling until the guard is dropped.
pub(crate) fn defer_interrupts() -> Deferred {
    DEFERRING.fetch_add(1, Ordering::SeqCst);
    update_default();
    Deferred(())
}

impl Drop for Deferred {
    fn drop(&mut self) {
        DEFERRING.fetch_sub(1, Ordering::SeqCst);
        update_default();
    }
}

/// A spinner or bar on standard error, cleared when dropped. Hidden off a terminal.
pub(crate) struct Activity {
    bar: ProgressBar,
}

impl Activity {
    /// A spinner with `message`, drawn at once and ticking, when `wanted` and standard error
    /// is a terminal.
    pub(crate) fn spinner(message: impl Into<String>, wanted: bool) -> Activity {
        if !shown(wanted) {
            return Activity::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message.into());
        Activity::drawn(bar)
    }

    /// A bar of `total` steps with `template` (indicatif's), drawn at once, when `wanted` and
    /// standard error is a terminal.
    pub(crate) fn bar(total: u64, template: &str, wanted: bool) -> Activity {
        if !shown(wanted) {
            return Activity::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Activity::drawn(bar)
    }

    pub(crate) fn hidden() -> Activity {
        Activity {
            bar: ProgressBar::hidden(),
        }
    }

    fn drawn(bar: ProgressBar) -> Activity {
        lock().push(bar.clone());
        on_interrupt_clear_and_exit();
        update_default();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.tick();
        Activity { bar }
    }

    pub(crate) fn set_message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    pub(crate) fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        lock().retain(|b| !b.is_finished());
        update_default();
    }
}

fn shown(wanted: bool) -> bool {
    wanted && std::io::stderr().is_terminal()
}

fn lock() -> std::sync::MutexGuard<'static, Vec<ProgressBar>> {
    DRAWN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Keep the flag that lets Ctrl-C act by default in step with what is drawn and who defers.
fn update_default() {
    if let Some(flag) = DEFAULT.get() {
        let idle = lock().is_empty() && DEFERRING.load(Ordering::SeqCst) == 0;
        flag.store(idle, Ordering::SeqCst);
    }
}

/// From the first drawing on: Ctrl-C while something is drawn clears it, says `interrupted`
/// and exits 130 (instead of leaving a half-drawn line behind).
fn on_interrupt_clear_and_exit() {
    HANDLER.call_once(|| {
        let seen = Arc::new(AtomicBool::new(false));
        let default = DEFAULT
            .get_or_init(|| Arc::new(AtomicBool::new(false)))
            .clone();
        // The signal handlers only set flags; a thread does the rest.
        let installed = signal_hook::flag::register_conditional_default(SIGINT, default)
            .and_then(|_| signal_hook::flag::register(SIGINT, seen.clone()));
        if installed.is_err() {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("interrupt".into())
            .spawn(move || loop {
                if seen.swap(false, Ordering::SeqCst) {
                    let drawn = lock();
                    if !drawn.is_empty() && DEFERRING.load(Ordering::SeqCst) == 0 {
                        for bar in drawn.iter() {
                            bar.finish_and_clear();
                        }
                        eprintln!("upsweep: interrupted");
                        std::process::exit(INTERRUPTED);
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            });
    });
}
