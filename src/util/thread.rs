//! A helper thread for short work done beside the current thread.

use std::thread::{Scope, ScopedJoinHandle};

/// `helper` and `here` run side by side, `helper` on a thread kept off this thread's CPU
/// ([`elsewhere`]); both results. A panic in `helper` goes on in this thread.
pub(crate) fn both<A: Send, B>(
    helper: impl FnOnce() -> A + Send,
    here: impl FnOnce() -> B,
) -> (A, B) {
    std::thread::scope(|s| {
        let handle = elsewhere(s, helper);
        let b = here();
        let a = handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}

/// Spawn `f` on a scoped thread that moves off the CPU this thread runs on (when the process
/// may run on another).
///
/// Linux puts a new thread on its parent's CPU and moves it only when the scheduler next
/// balances its queues, milliseconds later: work shared with a helper for less than that
/// (the rule set's compile at start-up) ran one half after the other. The helper, first
/// thing, takes the parent's CPU out of its own mask (the kernel moves it at once), and the
/// parent yields so that it gets to do so. It keeps that mask: it is short-lived.
fn elsewhere<'scope, F, T>(scope: &'scope Scope<'scope, '_>, f: F) -> ScopedJoinHandle<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    #[cfg(target_os = "linux")]
    if let Some(away) = off_this_cpu() {
        let handle = scope.spawn(move || {
            // SAFETY: the set is a valid `cpu_set_t` of the size given; 0 is this thread.
            // A failure leaves the thread where it is: slower, not wrong.
            unsafe {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &away);
            }
            f()
        });
        std::thread::yield_now();
        return handle;
    }
    scope.spawn(f)
}

/// The CPUs this thread may run on but the one it is on; `None` when there is no other.
#[cfg(target_os = "linux")]
fn off_this_cpu() -> Option<libc::cpu_set_t> {
    // SAFETY: `cpu_set_t` is plain bits, valid zeroed; the calls get its size and only read
    // or write the set given.
    unsafe {
        let here = usize::try_from(libc::sched_getcpu()).ok()?;
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut allowed) != 0 {
            return None;
        }
        libc::CPU_CLR(here, &mut allowed);
        (libc::CPU_COUNT(&allowed) > 0).then_some(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both sides run and give back what they made, and the helper may run on every CPU the
    /// process may but one (its parent's when it was spawned), when there is more than one.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_helper_is_kept_off_one_cpu_the_process_may_use() {
        fn mask() -> libc::cpu_set_t {
            // SAFETY: as in `off_this_cpu`.
            unsafe {
                let mut m: libc::cpu_set_t = std::mem::zeroed();
                libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut m);
                m
            }
        }
        let allowed = mask();
        let ((helper, made), here) = both(|| (mask(), 6 * 7), || "here");
        assert_eq!((made, here), (42, "here"));
        let cpus = |m: &libc::cpu_set_t| -> Vec<usize> {
            // SAFETY: every index is below the set's size.
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| unsafe { libc::CPU_ISSET(c, m) })
                .collect()
        };
        let (all, kept) = (cpus(&allowed), cpus(&helper));
        if all.len() == 1 {
            assert_eq!(kept, all);
        } else {
            assert_eq!(kept.len(), all.len() - 1, "{all:?} -> {kept:?}");
            assert!(kept.iter().all(|c| all.contains(c)), "{all:?} -> {kept:?}");
        }
    }
}
