//! The desk's issuing queue: one thread records the keys that people issue, many to a
//! transaction (group commit). Under load, each request would otherwise wait for SQLite's
//! lock, which its busy handler polls in sleeps of up to 100 ms, and pay a sync of its own;
//! here the requests waiting are signed and recorded together, each in a savepoint (one
//! refused request leaves the others), with one sync at the commit.
//!
//! Also which signing key the desk signs with: the one it was started with, until `keygen
//! rotate` makes another the ledger's current key; then the vault's new key is read (see
//! [`signer_now`]), or, if the desk cannot read it, new work is refused with words for the
//! person and for the desk's operator.

use keygen_core::db::store::{LedgerRead, LedgerWrite};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, Weak};

use keygen_core::db::Db;
use keygen_core::error::Error;
use keygen_core::ops::issue::{Issued, Request};
use keygen_core::token::AnySigner;

/// The most requests recorded in one transaction.
const GROUP: usize = 64;

struct Job {
    request: Request,
    reply: tokio::sync::oneshot::Sender<Result<Issued, Error>>,
}

/// The queue (its thread starts with the first request, and ends with the desk), and the
/// signing key read after a rotation.
#[derive(Default)]
pub struct Queue {
    sender: Mutex<Option<Sender<Job>>>,
    rotated: Mutex<Option<Arc<AnySigner>>>,
    passphrase_file: Mutex<Option<PathBuf>>,
}

/// The key the desk signs with now.
pub enum Current<'a> {
    /// The one it was started with.
    Started(&'a AnySigner),
    /// The vault's key read after a rotation.
    Rotated(Arc<AnySigner>),
}

impl std::ops::Deref for Current<'_> {
    type Target = AnySigner;
    fn deref(&self) -> &AnySigner {
        match self {
            Current::Started(s) => s,
            Current::Rotated(s) => s,
        }
    }
}

/// What a person is told when the desk cannot sign: they cannot act on the vault.
pub const ROTATED_FOR_PEOPLE: &str = "The desk cannot sign keys now: its signing key was changed (keygen rotate) \
     while it ran, and it cannot open the new one. Nothing was issued. Ask the desk's operator to restart the desk.";

/// The ledger's current signing key id, if it has one.
fn current_id(conn: &dyn LedgerRead) -> Result<Option<String>, Error> {
    keygen_core::db::head::current_key_id(conn).map_err(Error::db("cannot read the ledger's signing keys"))
}

/// The key to sign with in a transaction on `conn`: the desk's own while it is the ledger's
/// current key; after a rotation, the vault's new key (read from the desk's key path, with
/// the passphrase file it was started with, if any). When that cannot be read the operator
/// is told on stderr and the person gets [`ROTATED_FOR_PEOPLE`].
pub fn current_signer<'a>(desk: &'a super::Desk, conn: &dyn LedgerRead) -> Result<Current<'a>, Error> {
    let Some(current) = current_id(conn)? else { return Ok(Current::Started(&desk.signer)) };
    if desk.signer.key_id().to_string() == current {
        return Ok(Current::Started(&desk.signer));
    }
    let mut rotated = desk.queue.rotated.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(s) = rotated.as_ref().filter(|s| s.key_id().to_string() == current) {
        return Ok(Current::Rotated(Arc::clone(s)));
    }
    let passphrase =
        desk.queue.passphrase_file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    // Without a passphrase source, opening an encrypted key would ask on the terminal, from
    // a worker thread, in the middle of a request: say so instead.
    let encrypted = keygen_core::keyfile::read_private(&desk.key_path, keygen_core::keyfile::MAX_KEY_FILE)
        .is_ok_and(|pem| pem.windows(9).any(|w| w == b"ENCRYPTED"));
    let no_passphrase = passphrase.is_none() && std::env::var_os(keygen_core::passphrase::ENV).is_none();
    let loaded = if encrypted && no_passphrase {
        Err("the new key is encrypted, and the desk was started without --passphrase-file".to_owned())
    } else {
        keygen_core::keyfile::open_unattended(&desk.key_path, passphrase.as_deref())
            .map_err(|e| e.to_string())
    };
    let why = match loaded {
        Ok(s) if s.key_id().to_string() == current => {
            let s = Arc::new(s);
            *rotated = Some(Arc::clone(&s));
            cli_support::warn(&format!(
                "keygen desk: the ledger's signing key changed to {current} (keygen rotate): the desk signs with it now"
            ));
            return Ok(Current::Rotated(s));
        }
        Ok(s) => format!(
            "{} holds key {}, not the ledger's current key {current}",
            desk.key_path.display(),
            s.key_id()
        ),
        Err(e) => e,
    };
    cli_support::warn(&format!(
        "keygen desk: the ledger's signing key changed to {current} (keygen rotate), and the desk cannot read it: \
         {why}. Restart the desk (with --passphrase-file if the new key is encrypted); until then it issues nothing."
    ));
    Err(Error::input(ROTATED_FOR_PEOPLE))
}

/// [`current_signer`], read from the ledger outside a transaction (for the operations that
/// open their own); a ledger not made yet has no current key.
pub fn signer_now(desk: &super::Desk) -> Result<Current<'_>, Error> {
    match Db::open_read(&desk.ledger) {
        Ok(db) => current_signer(desk, db.conn()),
        Err(Error::Input(_)) => Ok(Current::Started(&desk.signer)),
        Err(e) => Err(e),
    }
}

/// A refusal because the key was retired meanwhile (a rotation between reading the current
/// key and signing), said to the person as [`ROTATED_FOR_PEOPLE`]; others as they are.
pub fn for_people(e: Error) -> Error {
    if e.to_string().contains("was retired by a rotation") { Error::input(ROTATED_FOR_PEOPLE) } else { e }
}

impl Queue {
    /// Remembers the passphrase file the desk was started with, to read the vault's new key
    /// after a rotation.
    pub fn set_passphrase_file(&self, path: Option<PathBuf>) {
        *self.passphrase_file.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = path;
    }

    /// Issues one key through the queue.
    pub async fn issue(&self, desk: &super::State, request: Request) -> Result<Issued, Error> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        {
            let mut sender = self.sender.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let s = sender.get_or_insert_with(|| {
                let (s, r) = channel();
                let weak = std::sync::Arc::downgrade(desk);
                std::thread::spawn(move || run(&weak, &r));
                s
            });
            s.send(Job { request, reply })
                .map_err(|_| Error::input("the desk's issuing queue has stopped"))?;
        }
        answer.await.map_err(|_| Error::input("the desk's issuing queue has stopped"))?
    }
}

fn run(desk: &Weak<super::Desk>, jobs: &Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        // The desk is gone (stopping): nobody waits for an answer.
        let Some(desk) = desk.upgrade() else { return };
        record(&desk, group);
    }
}

fn record(desk: &super::Desk, group: Vec<Job>) {
    let mut ledger = match Db::open_write(&desk.ledger) {
        Ok(l) => l,
        Err(e) => return refuse(group, &e.to_string()),
    };
    let tx = match ledger.begin_write(&desk.key_path) {
        Ok(tx) => tx,
        Err(e) => return refuse(group, &e.to_string()),
    };
    let signer = match current_signer(desk, tx.conn()) {
        Ok(s) => s,
        Err(e) => return refuse_as(group, &e.to_string()),
    };
    if let Err(e) = keygen_core::db::head::ensure_current(tx.conn(), &signer, &desk.key_path) {
        return refuse_as(group, &for_people(e).to_string());
    }
    let mut done = Vec::with_capacity(group.len());
    let mut broken = None;
    for job in group {
        if broken.is_some() {
            done.push((job.reply, Err(Error::input("not recorded"))));
            continue;
        }
        let result = tx
            .savepoint(|tx| keygen_core::ops::issue::issue_in(tx, &signer, job.request))
            .map_err(|e| e.to_string());
        match result {
            Ok(result) => done.push((job.reply, result)),
            Err(e) => {
                done.push((job.reply, Err(Error::input(format!("not recorded: {e}")))));
                broken = Some(e);
            }
        }
    }
    let committed = match broken {
        Some(e) => Err(e),
        None => tx.commit(&signer).map_err(|e| e.to_string()),
    };
    match committed {
        Ok(()) => {
            for (reply, result) in done {
                let _ = reply.send(result);
            }
        }
        // Nothing of the group was recorded: each request is told why.
        Err(why) => {
            for (reply, _) in done {
                let _ = reply.send(Err(Error::input(format!("not recorded: {why}"))));
            }
        }
    }
}

/// Every request of the group refused with these words.
fn refuse_as(group: Vec<Job>, why: &str) {
    for job in group {
        let _ = job.reply.send(Err(Error::input(why.to_owned())));
    }
}

/// Every request of the group refused, saying why.
fn refuse(group: Vec<Job>, why: &str) {
    for job in group {
        let _ = job.reply.send(Err(Error::input(format!("not recorded: {why}"))));
    }
}

/// One write of the desk's own records (people, the journal) through the ledger's write
/// door, signed by the key the desk signs with now: `write` runs inside the transaction.
pub fn signed_write<T>(
    desk: &super::Desk,
    write: impl FnOnce(&dyn LedgerWrite) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut db = Db::open_write(&desk.ledger)?;
    let tx = db.begin_write(&desk.key_path)?;
    let signer = current_signer(desk, tx.conn())?;
    let done = write(tx.conn())?;
    tx.commit(&signer).map_err(for_people)?;
    Ok(done)
}
