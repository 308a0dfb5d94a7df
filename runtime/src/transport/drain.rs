//! Graceful shutdown of a server's connections: when the server stops, each connection is
//! told to finish (HTTP/1: the request in flight, then close; HTTP/2: GOAWAY, then its open
//! streams), and the server waits until all of them have ended.
//!
//! Written here rather than taken from hyper-util's `GracefulShutdown`: that one polls a
//! `tokio::sync::watch` receiver on every wake-up of every connection (a lock and a waker
//! update per poll, several polls per request), and it knows HTTP/2 connections only with
//! hyper-util's `http2` feature, which the backend client goes without (see client/). Here a
//! connection registers its task's waker once and afterwards reads one atomic flag per poll.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// A connection that can be asked to finish gracefully.
pub trait Graceful: Future {
    /// Stop taking new requests; finish those in flight.
    fn graceful_shutdown(self: Pin<&mut Self>);
}

impl<I, S> Graceful for hyper::server::conn::http1::Connection<I, S>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        hyper::server::conn::http1::Connection::graceful_shutdown(self);
    }
}

impl<I, S, E> Graceful for hyper::server::conn::http2::Connection<I, S, E>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, S::ResBody>,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        hyper::server::conn::http2::Connection::graceful_shutdown(self);
    }
}

/// The server's side: makes [`Watcher`]s, then stops them all and waits for them.
#[derive(Default)]
pub struct Drain {
    shared: Arc<Shared>,
}

/// Hands the server's stop to connections ([`Watcher::watch`]); each one counts as live until
/// it ends.
#[derive(Clone)]
pub struct Watcher {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    stopping: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The waker of each registered connection; `None`: a free slot (listed in `free`).
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
    /// Connections watched and not yet ended.
    live: usize,
    /// The server waiting in [`Drain::shutdown`].
    waiting: Option<Waker>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drain {
    pub fn new() -> Self {
        Drain::default()
    }

    pub fn watcher(&self) -> Watcher {
        Watcher {
            shared: self.shared.clone(),
        }
    }

    /// Tells every connection, present and future, to finish, and waits until all have ended.
    pub async fn shutdown(self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let wakers: Vec<Waker> = {
            let mut state = self.shared.state();
            state.wakers.iter_mut().filter_map(Option::take).collect()
        };
        wakers.into_iter().for_each(Waker::wake);
        std::future::poll_fn(|cx| {
            let mut state = self.shared.state();
            if state.live == 0 {
                return Poll::Ready(());
            }
            state.waiting = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
    }
}

impl Watcher {
    /// `conn`, told to finish when the server stops.
    pub fn watch<C: Graceful>(self, conn: C) -> Watched<C> {
        self.shared.state().live += 1;
        Watched {
            conn,
            shared: self.shared,
            registered: None,
            told: false,
        }
    }
}

pin_project_lite::pin_project! {
    /// A connection under a [`Watcher`]: it ends as the connection does.
    pub struct Watched<C> {
        #[pin]
        conn: C,
        shared: Arc<Shared>,
        registered: Option<Registration>,
        told: bool,
    }

    impl<C> PinnedDrop for Watched<C> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            end(this.shared, this.registered.take());
        }
    }
}

/// A connection's slot in [`State::wakers`] and the waker stored there.
struct Registration {
    slot: usize,
    waker: Waker,
}

impl<C: Graceful> Future for Watched<C> {
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let mut this = self.project();
        if !*this.told {
            if this.shared.stopping.load(Ordering::Acquire) {
                *this.told = true;
                this.conn.as_mut().graceful_shutdown();
            } else if register(this.shared, this.registered, cx) {
                // Stopped while registering: the wake-up may have missed this waker.
                *this.told = true;
                this.conn.as_mut().graceful_shutdown();
            }
        }
        this.conn.poll(cx)
    }
}

/// Makes sure `cx`'s waker is the one woken when the server stops: a lock only the first
/// time, or when the task's waker changed (a spawned task keeps one waker). `true` when the
/// server is stopping (checked after registering, so the stop cannot be missed).
fn register(shared: &Shared, registered: &mut Option<Registration>, cx: &Context<'_>) -> bool {
    if registered
        .as_ref()
        .is_some_and(|r| r.waker.will_wake(cx.waker()))
    {
        return false;
    }
    let waker = cx.waker().clone();
    {
        let mut state = shared.state();
        let slot = match registered {
            Some(r) => r.slot,
            None => match state.free.pop() {
                Some(slot) => slot,
                None => {
                    state.wakers.push(None);
                    state.wakers.len() - 1
                }
            },
        };
        if let Some(entry) = state.wakers.get_mut(slot) {
            *entry = Some(waker.clone());
        }
        *registered = Some(Registration { slot, waker });
    }
    shared.stopping.load(Ordering::SeqCst)
}

/// A watched connection ended: its slot is freed; the last one wakes a waiting server.
fn end(shared: &Shared, registered: Option<Registration>) {
    let waiting = {
        let mut state = shared.state();
        if let Some(r) = registered {
            if let Some(entry) = state.wakers.get_mut(r.slot) {
                *entry = None;
            }
            state.free.push(r.slot);
        }
        state.live = state.live.saturating_sub(1);
        if state.live == 0 {
            state.waiting.take()
        } else {
            None
        }
    };
    if let Some(w) = waiting {
        w.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection that ends only after it was told to finish.
    struct Conn {
        told: bool,
    }

    impl Future for Conn {
        type Output = &'static str;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<&'static str> {
            if self.told {
                Poll::Ready("finished")
            } else {
                Poll::Pending
            }
        }
    }

    impl Graceful for Conn {
        fn graceful_shutdown(mut self: Pin<&mut Self>) {
            self.told = true;
        }
    }

    #[tokio::test]
    async fn stopping_tells_every_connection_and_waits_for_them() {
        let drain = Drain::new();
        let early = tokio::spawn(drain.watcher().watch(Conn { told: false }));
        // Registered (polled once) before the stop.
        tokio::task::yield_now().await;
        let late = drain.watcher();
        let waited = tokio::time::timeout(std::time::Duration::from_secs(5), drain.shutdown());
        assert!(waited.await.is_ok(), "the drain did not end");
        assert_eq!(early.await.ok(), Some("finished"));
        // A connection watched after the stop is told at once.
        let conn = late.watch(Conn { told: false });
        assert_eq!(conn.await, "finished");
    }

    #[tokio::test]
    async fn a_drain_without_connections_ends_at_once() {
        let drain = Drain::new();
        let ended = drain.watcher().watch(Conn { told: true });
        assert_eq!(ended.await, "finished");
        let waited = tokio::time::timeout(std::time::Duration::from_secs(5), drain.shutdown());
        assert!(waited.await.is_ok());
    }
}
