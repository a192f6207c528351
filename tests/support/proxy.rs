//! A TCP proxy on loopback between tocsin and its Postgres server, which a test can cut (the
//! port refuses connections and every open one drops, as when the server stops) and restore:
//! a database outage as tocsin sees it, without stopping the server other tests share.

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    /// `true` while cut: the listener closes and open connections end.
    cut: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(false);
        let proxy = Proxy { addr, upstream, cut };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, mut cut) = (self.upstream, self.cut.subscribe());
        tokio::spawn(async move {
            loop {
                let client = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((client, _)) => client,
                        Err(_) => continue,
                    },
                    _ = cut.wait_for(|c| *c) => return, // the listener closes: connections refused
                };
                let mut ended = cut.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = ended.wait_for(|c| *c) => {}
                    }
                });
            }
        });
    }

    /// The database becomes unreachable.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// The database is back, on the same port.
    pub async fn restore(&self) {
        self.cut.send_replace(false);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("rebinding the proxy on {}: {e}", self.addr),
            }
        };
        self.serve(listener);
    }

    /// `url` (a Postgres URL) through this proxy.
    pub fn url(&self, url: &str) -> String {
        let mut parsed = reqwest::Url::parse(url).expect("a Postgres URL");
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(self.addr.port())).unwrap();
        parsed.to_string()
    }
}

/// Where `url`'s Postgres server listens.
pub fn upstream(url: &str) -> SocketAddr {
    let parsed = reqwest::Url::parse(url).expect("a Postgres URL");
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" { "127.0.0.1" } else { host };
    format!("{host}:{}", parsed.port().unwrap_or(5432)).parse().expect("a numeric host")
}
