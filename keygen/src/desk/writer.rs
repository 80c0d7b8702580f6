//! The desk's issuing queue: one thread records the keys that people issue, many to a
//! transaction (group commit). Under load, each request would otherwise wait for SQLite's
//! lock, which its busy handler polls in sleeps of up to 100 ms, and pay a sync of its own;
//! here the requests waiting are signed and recorded together, each in a savepoint (one
//! refused request leaves the others), with one sync at the commit.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, Weak};

use crate::db::Db;
use crate::error::Error;
use crate::ops::issue::{Issued, Request};

/// The most requests recorded in one transaction.
const GROUP: usize = 64;

struct Job {
    request: Request,
    reply: tokio::sync::oneshot::Sender<Result<Issued, Error>>,
}

/// The queue (its thread starts with the first request, and ends with the desk).
#[derive(Default)]
pub struct Queue {
    sender: Mutex<Option<Sender<Job>>>,
}

impl Queue {
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
    let mut ledger = match Db::open_write(&desk.ledger, true) {
        Ok(Some(l)) => l,
        Ok(None) => return refuse(group, &format!("cannot create the ledger {}", desk.ledger.display())),
        Err(e) => return refuse(group, &e.to_string()),
    };
    let tx = match ledger.begin_write(&desk.key_path) {
        Ok(tx) => tx,
        Err(e) => return refuse(group, &e.to_string()),
    };
    if let Err(e) = crate::db::head::ensure_current(tx.conn(), &desk.signer, &desk.key_path) {
        return refuse(group, &e.to_string());
    }
    let mut done = Vec::with_capacity(group.len());
    let mut broken = None;
    for job in group {
        if broken.is_some() {
            done.push((job.reply, Err(Error::input("not recorded"))));
            continue;
        }
        let savepoint = |sql: &str| tx.conn().execute_batch(sql).map_err(|e| e.to_string());
        let result = savepoint("SAVEPOINT one").and_then(|()| {
            let result = crate::ops::issue::issue_in(&tx, &desk.signer, job.request);
            if result.is_err() {
                savepoint("ROLLBACK TO one")?;
            }
            savepoint("RELEASE one")?;
            Ok(result)
        });
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
        None => tx.commit(&desk.signer).map_err(|e| e.to_string()),
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

/// Every request of the group refused, saying why.
fn refuse(group: Vec<Job>, why: &str) {
    for job in group {
        let _ = job.reply.send(Err(Error::input(format!("not recorded: {why}"))));
    }
}
