//! Serving: the address checked (loopback, or TLS), the signing key opened once (its
//! passphrase asked once), the ledger checked, then HTTP or HTTPS until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::{Desk, Limits};
use crate::db::{self, Db};
use crate::error::Error;

/// Runs `keygen desk`.
pub fn run(args: &super::cli::DeskArgs, ledger: &Path) -> Result<ExitCode, Error> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some((c.clone(), k.clone())),
        _ => None,
    };
    check_address(args.listen, tls.is_some())?;
    let signer = crate::keyfile::load(&args.key, args.passphrase_file.as_deref())?;
    let mut db = Db::open_write(ledger, true)?
        .ok_or_else(|| Error::input(format!("cannot create the ledger {}", ledger.display())))?;
    let tx = db.begin_write(&args.key)?;
    db::head::ensure_current(tx.conn(), &signer, &args.key)?;
    tx.commit(&signer)?;
    let nobody = db::people::list(db.conn()).map_err(Error::db("cannot read the ledger"))?.is_empty();
    drop(db);
    if nobody {
        cli_support::warn(&format!(
            "keygen desk: nobody can sign in yet: add people with keygen desk user add NAME --role admin --ledger {}",
            ledger.display()
        ));
    }
    let desk = Arc::new(Desk {
        signer,
        key_path: args.key.clone(),
        ledger: ledger.to_owned(),
        templates: args.templates.folder(),
        tls: tls.is_some(),
        limits: Limits::default(),
        sessions: super::session::Store::default(),
        uploads: super::batch::Uploads::default(),
        queue: super::writer::Queue::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the desk's threads"))?;
    runtime.block_on(serve(desk, args.listen, tls))?;
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

async fn serve(
    desk: super::State,
    addr: SocketAddr,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> Result<(), Error> {
    let app = super::app(desk);
    match tls {
        None => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(Error::io(format!("cannot listen on {addr}")))?;
            // The address bound (with --listen ...:0, the port the system chose).
            let bound = listener.local_addr().unwrap_or(addr);
            cli_support::warn(&format!("keygen desk: serving on http://{bound}/ (Ctrl-C stops)"));
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped())
                .await
                .map_err(Error::io("the desk stopped"))
        }
        Some((cert, key)) => {
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key).await.map_err(|e| {
                    Error::input(format!("--tls-cert {} / --tls-key {}: {e}", cert.display(), key.display()))
                })?;
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                stopped().await;
                h.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            cli_support::warn(&format!("keygen desk: serving on https://{addr}/ (Ctrl-C stops)"));
            axum_server::bind_rustls(addr, config)
                .handle(handle)
                .serve(app.into_make_service())
                .await
                .map_err(Error::io(format!("cannot serve on {addr}")))
        }
    }
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
