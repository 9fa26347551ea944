//! What the terminal shows while the user waits: a spinner naming what is being waited for
//! (the account inventory, live checks), a bar for a long history scan, each cleared when
//! done; on Ctrl-C whatever is drawn is cleared and an `interrupted` line printed (exit 130).
//! Nothing is drawn when standard error is not a terminal, or with `-q`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Mutex, Once};
use std::time::Duration;

/// What is drawn now, to clear on Ctrl-C.
static DRAWN: Mutex<Vec<ProgressBar>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Exit code of a run interrupted by Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED: i32 = 130;

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
        on_interrupt_clear_and_exit();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.tick();
        lock().push(bar.clone());
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
    }
}

fn shown(wanted: bool) -> bool {
    wanted && std::io::stderr().is_terminal()
}

fn lock() -> std::sync::MutexGuard<'static, Vec<ProgressBar>> {
    DRAWN.lock().unwrap_or_else(|p| p.into_inner())
}

/// From the first drawing on: Ctrl-C clears what is drawn, says `interrupted` and exits 130
/// (instead of leaving a half-drawn line behind).
fn on_interrupt_clear_and_exit() {
    HANDLER.call_once(|| {
        let listen = || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(tokio::signal::ctrl_c()).ok()
        };
        let _ = std::thread::Builder::new()
            .name("interrupt".into())
            .spawn(move || {
                if listen().is_some() {
                    for bar in lock().iter() {
                        bar.finish_and_clear();
                    }
                    eprintln!("upsweep: interrupted");
                    std::process::exit(INTERRUPTED);
                }
            });
    });
}
