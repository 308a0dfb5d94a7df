//! The endpoint chunks made on several threads (`Builder::parallel`).
//!
//! Each endpoint's chunk is a function of its plan alone, so the chunks can be made in any
//! order: threads take blocks of `BLOCK` endpoints from a shared counter (the kinds of endpoint
//! cost differently, so fixed ranges would leave a thread idle), and the texts are put back in
//! the endpoints' order, which keeps the output byte for byte the same. Only `String`s cross
//! threads: `proc_macro2` tokens are made and consumed on the thread that pretty-prints them.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Endpoints a thread takes at a time.
const BLOCK: usize = 8;

/// A thread costs tens of microseconds to start: no more threads than one per this many chunks.
const MIN_PER_THREAD: usize = 16;

/// How many threads make `jobs` chunks: the machine's parallelism, at most one per
/// `MIN_PER_THREAD` chunks, at least one (this thread).
pub(crate) fn threads_for(jobs: usize) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    cpus.min(jobs.div_ceil(MIN_PER_THREAD)).max(1)
}

/// `main()` on this thread, and `make(i)` for every `i` in `todo` on `threads` threads (this one
/// too, once `main` is done). The results are in `todo`'s order; `None` never happens but
/// costs the caller nothing to handle (make it there).
pub(crate) fn map_with<R, M>(
    todo: &[usize],
    threads: usize,
    make: impl Fn(usize) -> R + Sync,
    main: impl FnOnce() -> M,
) -> (M, Vec<Option<R>>)
where
    R: Send,
{
    if threads <= 1 {
        let m = main();
        return (m, todo.iter().map(|&i| Some(make(i))).collect());
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut out = Vec::new();
        loop {
            let start = next.fetch_add(BLOCK, Ordering::Relaxed);
            if start >= todo.len() {
                return out;
            }
            for (at, &i) in todo.iter().enumerate().skip(start).take(BLOCK) {
                out.push((at, make(i)));
            }
        }
    };
    let mut results: Vec<Option<R>> = (0..todo.len()).map(|_| None).collect();
    let m = std::thread::scope(|s| {
        let workers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let m = main();
        let mut parts = vec![work()];
        for w in workers {
            match w.join() {
                Ok(part) => parts.push(part),
                // A panic in a worker is a panic of the run, as it would be on one thread.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (at, r) in parts.into_iter().flatten() {
            results[at] = Some(r);
        }
        m
    });
    (m, results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_todo_on_any_number_of_threads() {
        let todo: Vec<usize> = (0..100).rev().filter(|i| i % 3 != 0).collect();
        for threads in [1, 2, 3, 8] {
            let (m, out) = map_with(&todo, threads, |i| i * 10, || "main");
            assert_eq!(m, "main");
            let want: Vec<_> = todo.iter().map(|i| Some(i * 10)).collect();
            assert_eq!(out, want, "{threads} threads");
        }
    }

    #[test]
    fn no_more_threads_than_chunks_allow() {
        assert_eq!(threads_for(0), 1);
        assert_eq!(threads_for(1), 1);
        assert!(threads_for(10_000) >= 1);
    }
}
