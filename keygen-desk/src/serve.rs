//! Serving: the address checked (loopback, or TLS), the signing key opened once (its
//! passphrase asked once), the ledger checked, then HTTP or HTTPS until Ctrl-C or SIGTERM.
//!
//! Slow clients cannot hold the desk: a client has `Limits::header_read` to send a request's
//! headers (and an open connection as long to start its next request; a TLS client as long
//! for its handshake), and the connections open at once are limited, in all and per client
//! address; a connection over either limit is closed at once. The same limits hold over HTTP
//! and over TLS (both are served by axum-server on hyper).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum_server::accept::{Accept, DefaultAcceptor};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::guard::Site;
use super::{Desk, Limits};
use keygen_core::db::{self, Db};
use keygen_core::error::Error;

/// What the desk is started with (the command line's flags).
#[derive(Clone, Debug)]
pub struct Config {
    /// The signing key; the ledger and the checkpoint log default to its folder.
    pub key: PathBuf,
    /// Where an encrypted key's passphrase is read from (a service has no terminal).
    pub passphrase_file: Option<PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The TLS certificate chain and private key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The addresses people type: their hosts are served and their origins accepted.
    pub public_url: Vec<String>,
    /// Reverse proxies whose X-Forwarded-For names the client.
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// The edition templates beside the built-in ones.
    pub templates: keygen_core::template::Folder,
}

/// Runs `keygen desk`.
pub fn run(args: &Config, ledger: &Path) -> Result<ExitCode, Error> {
    let tls = args.tls.clone();
    check_address(args.listen, tls.is_some())?;
    // The names are checked before the passphrase is asked.
    Site::new(args.listen, tls.is_some(), &args.public_url, &args.trusted_proxy)?;
    let signer = keygen_core::keyfile::open(&args.key, args.passphrase_file.as_deref())?;
    // Each request opens the ledger: a PostgreSQL one lends a kept connection.
    Db::keep_connections();
    let mut db = Db::open_write(ledger)?;
    let tx = db.begin_write(&args.key)?;
    db::head::ensure_current(tx.conn(), &signer, &args.key)?;
    tx.commit(&signer)?;
    let nobody = db.conn().people().map_err(Error::db("cannot read the ledger"))?.is_empty();
    drop(db);
    if nobody {
        cli_support::warn(&format!(
            "keygen desk: nobody can sign in yet: add people with keygen desk user add NAME --role admin --ledger {}",
            ledger.display()
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the desk's threads"))?;
    let listener = std::net::TcpListener::bind(args.listen)
        .map_err(Error::io(format!("cannot listen on {}", args.listen)))?;
    // The address bound (with --listen ...:0, the port the system chose).
    let bound = listener.local_addr().unwrap_or(args.listen);
    let site = Site::new(bound, tls.is_some(), &args.public_url, &args.trusted_proxy)?;
    let desk = Desk::new(
        signer,
        args.key.clone(),
        ledger.to_owned(),
        args.templates.clone(),
        Limits::default(),
        site,
    )?;
    // A rotation while the desk runs: the vault's new key opens with the same passphrase file.
    desk.queue.set_passphrase_file(args.passphrase_file.clone());
    runtime.block_on(async move {
        let config = match &tls {
            None => None,
            Some((cert, key)) => Some(RustlsConfig::from_pem_file(cert, key).await.map_err(|e| {
                Error::input(format!("--tls-cert {} / --tls-key {}: {e}", cert.display(), key.display()))
            })?),
        };
        let scheme = if config.is_some() { "https" } else { "http" };
        cli_support::warn(&format!("keygen desk: serving on {scheme}://{bound}/ (Ctrl-C stops)"));
        serve(desk, listener, config, stopped()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A non-loopback address is refused without TLS: passwords and keys would cross the
/// network in the clear.
pub fn check_address(addr: SocketAddr, tls: bool) -> Result<(), Error> {
    if !addr.ip().is_loopback() && !tls {
        return Err(Error::input(format!(
            "--listen {addr}: not a loopback address, and no TLS: give --tls-cert and --tls-key, or listen on 127.0.0.1"
        )));
    }
    Ok(())
}

/// Serves `desk` on `listener` (over TLS with `tls`) until `stop`, with the desk's limits on
/// connections and on slow clients.
pub async fn serve(
    desk: super::State,
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let limits = desk.limits;
    let gate = Limited {
        gate: Arc::new(Gate {
            total: Arc::new(Semaphore::new(limits.connections)),
            per_address: Mutex::new(HashMap::new()),
            cap: limits.connections_per_address,
            exempt: desk.site.trusted_proxies.clone(),
        }),
    };
    listener.set_nonblocking(true).map_err(Error::io("cannot listen"))?;
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        stop.await;
        h.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    let app = super::app(desk).into_make_service_with_connect_info::<SocketAddr>();
    let mut server = axum_server::from_tcp(listener)
        .map_err(Error::io("cannot listen"))?
        .handle(handle)
        .http1_only()
        .first_request_timeout(limits.header_read);
    server.http_builder().http1().header_read_timeout(limits.header_read);
    let served = match tls {
        None => server.acceptor(gate).serve(app).await,
        Some(config) => {
            let acceptor = RustlsAcceptor::new(config).handshake_timeout(limits.header_read).acceptor(gate);
            server.acceptor(acceptor).serve(app).await
        }
    };
    served.map_err(Error::io("the desk stopped"))
}

/// Ctrl-C or SIGTERM (systemd's stop).
async fn stopped() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// The connections open, in all and per client address.
struct Gate {
    total: Arc<Semaphore>,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    cap: usize,
    exempt: Vec<IpAddr>,
}

/// A connection's place, given back when it closes.
struct Pass {
    gate: Arc<Gate>,
    address: Option<IpAddr>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Pass {
    fn drop(&mut self) {
        let Some(address) = self.address else { return };
        let mut map = self.gate.per_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&address) {
            *n -= 1;
            if *n == 0 {
                map.remove(&address);
            }
        }
    }
}

impl Gate {
    fn admit(self: &Arc<Gate>, stream: &TcpStream) -> Option<Pass> {
        let permit = self.total.clone().try_acquire_owned().ok()?;
        let ip = stream.peer_addr().ok()?.ip();
        let address = if self.exempt.contains(&ip) {
            None
        } else {
            let mut map = self.per_address.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = map.entry(ip).or_insert(0);
            if *n >= self.cap {
                return None;
            }
            *n += 1;
            Some(ip)
        };
        Some(Pass { gate: self.clone(), address, _permit: permit })
    }
}

/// The acceptor that applies the gate before anything else (the TLS handshake too).
#[derive(Clone)]
struct Limited {
    gate: Arc<Gate>,
}

/// A connection that holds its place while open.
pub struct Counted {
    stream: TcpStream,
    _pass: Pass,
}

type Accepted<S> = Pin<Box<dyn Future<Output = io::Result<(Counted, S)>> + Send>>;

impl<S: Send + 'static> Accept<TcpStream, S> for Limited {
    type Stream = Counted;
    type Service = S;
    type Future = Accepted<S>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let admitted = self.gate.admit(&stream);
        Box::pin(async move {
            match admitted {
                Some(pass) => DefaultAcceptor.accept(Counted { stream, _pass: pass }, service).await,
                // Dropping the stream closes it: its file is free at once.
                None => Err(io::Error::other("the desk's connection limit is reached")),
            }
        })
    }
}

impl AsyncRead for Counted {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
