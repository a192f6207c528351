//! The `[http]` listener's own HTTP/1 server. `axum::serve` has neither a header read timeout
//! nor a connection cap, and 300 idle connections once made `/healthz` time out (issue 15).
//!
//! - A request head must arrive within `header_timeout` (hyper's timer, which also closes a
//!   keep-alive connection idle that long); heads past a backstop (4 × `header_limit`) are
//!   refused by hyper itself (its answer given a JSON body by [`super::json_io`]), the
//!   configured limits by [`super::limits::bounded_head`].
//! - At most `max_connections` are open. A new connection beyond it closes the connection that
//!   has waited longest without a request in progress (a slow or idle one), so a probe of
//!   `/healthz` always gets through; when every connection is in a request, the newcomer is
//!   answered 503 and closed.

use axum::Router;
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::intake::HttpLimits;

/// Serves `router` on `listener` within `limits` until the stop signal, then lets the requests
/// in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size((4 * limits.header_limit).max(64 * 1024))
        .max_headers(4 * super::limits::MAX_HEADERS);
    let open = Arc::new(Open { max: limits.max_connections, inner: Mutex::default() });
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            _ = stopped(&mut stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, say: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let Some(slot) = open.admit() else {
            connections.spawn(refuse(stream));
            continue;
        };
        let tower = TowerToHyperService::new(router.clone());
        let busy = slot.clone();
        let service = hyper::service::service_fn(move |request| {
            let guard = busy.busy();
            let answer = tower.call(request);
            async move {
                let response = answer.await;
                drop(guard);
                response
            }
        });
        let http = http.clone();
        let mut stop = stop.clone();
        connections.spawn(async move {
            let conn = http.serve_connection(TokioIo::new(super::json_io::JsonIo::new(stream)), service);
            tokio::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "an intake connection ended");
                        }
                        break;
                    }
                    _ = slot.evicted.notified() => {
                        tracing::debug!("closed an idle connection to make room for a new one");
                        break;
                    }
                    _ = stopped(&mut stop), if !stopping => {
                        conn.as_mut().graceful_shutdown();
                        stopping = true;
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Resolves on the stop signal (without holding the channel's guard across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Every connection in `open` is busy: say so and close, within a second.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = r#"{"error":"too many connections, all busy; retry later"}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(answer.as_bytes())).await;
}

/// The open connections, each idle (since when) or in a request.
struct Open {
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    conns: HashMap<u64, Conn>,
}

struct Conn {
    idle_since: Option<Instant>,
    evicted: Arc<Notify>,
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a new connection, closing the longest-idle one when all are taken; `None`
    /// when every connection is in a request.
    fn admit(self: &Arc<Self>) -> Option<Arc<Slot>> {
        let mut inner = self.lock();
        if inner.conns.len() >= self.max {
            let (&oldest, _) =
                inner.conns.iter().filter_map(|(id, c)| Some((id, c.idle_since?))).min_by_key(|(_, since)| *since)?;
            if let Some(c) = inner.conns.remove(&oldest) {
                c.evicted.notify_one();
            }
        }
        let id = inner.next;
        inner.next += 1;
        let evicted = Arc::new(Notify::new());
        inner.conns.insert(id, Conn { idle_since: Some(Instant::now()), evicted: evicted.clone() });
        Some(Arc::new(Slot { id, open: self.clone(), evicted }))
    }

    fn set_idle(&self, id: u64, idle: bool) {
        if let Some(c) = self.lock().conns.get_mut(&id) {
            c.idle_since = idle.then(Instant::now);
        }
    }
}

/// One connection's place among the open ones, given back when it closes.
struct Slot {
    id: u64,
    open: Arc<Open>,
    evicted: Arc<Notify>,
}

impl Slot {
    /// Marks the connection as in a request until the guard is dropped.
    fn busy(self: &Arc<Self>) -> Busy {
        self.open.set_idle(self.id, false);
        Busy(self.clone())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.lock().conns.remove(&self.id);
    }
}

struct Busy(Arc<Slot>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.open.set_idle(self.0.id, true);
    }
}
