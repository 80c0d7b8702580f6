//! The sign-in throttle, kept in the desk's memory (never in the ledger: a wrong guess writes
//! nothing a right one waits for), and the queue that carries sign-in events to the journal.
//!
//! Wrong passwords are counted per account and per client address. After `lockout_after`
//! wrong passwords in a row an account refuses sign-ins for `lockout_for`, except from an
//! address it signed in from successfully before: someone outside cannot lock a person out of
//! their usual place, and a guesser from elsewhere gets `lockout_after` guesses per period.
//! An address gets `address_failures` wrong passwords per period, whatever the names.
//!
//! Each attempt is reserved under the lock before its password is checked, so concurrent
//! guesses cannot pass the limit: at most `limit` checks run per period, counting those in
//! flight. A refused attempt still checks a password (against a dummy hash) so that it takes
//! as long as any other.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use super::Limits;
use super::guard::Site;
use super::lru::Lru;

/// Client addresses remembered at once (the oldest is forgotten beyond).
const ADDRESSES: usize = 100_000;
/// Addresses remembered per account as ones it signed in from.
const KNOWN: usize = 16;

#[derive(Default)]
struct Counter {
    failures: u32,
    in_flight: u32,
    first: Option<Instant>,
    locked_until: Option<Instant>,
}

impl Counter {
    /// Whether another attempt may be checked now.
    fn open(&mut self, limit: u32, period: Duration, now: Instant) -> bool {
        if self.locked_until.is_some_and(|until| now < until) {
            return false;
        }
        // A lock or a count older than the period is over: counting starts again, so one
        // guess after a lock does not lock again.
        if self.locked_until.is_some() || self.first.is_some_and(|f| now.duration_since(f) >= period) {
            self.locked_until = None;
            self.failures = 0;
            self.first = None;
        }
        self.failures.saturating_add(self.in_flight) < limit
    }

    fn finish(&mut self, ok: bool, limit: u32, period: Duration, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if ok {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        self.first.get_or_insert(now);
        if self.failures >= limit && self.locked_until.is_none() {
            self.locked_until = Some(now + period);
        }
    }

    fn locked(&self, now: Instant) -> Option<Duration> {
        self.locked_until.and_then(|u| u.checked_duration_since(now)).filter(|d| !d.is_zero())
    }
}

struct Account {
    counter: Counter,
    /// A digest of the password hash the count is about: a new password starts it again.
    hash: [u8; 32],
    known: Vec<IpAddr>,
}

struct Inner {
    accounts: HashMap<String, Account>,
    addresses: Lru<IpAddr, Counter>,
}

/// The throttle.
pub struct Throttle {
    inner: Mutex<Inner>,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle { inner: Mutex::new(Inner { accounts: HashMap::new(), addresses: Lru::new(ADDRESSES) }) }
    }
}

/// An attempt, reserved: whether its password may be checked, and what to count.
#[derive(Debug)]
pub struct Ticket {
    /// The password may be checked (otherwise the answer is a refusal, whatever it is).
    pub check: bool,
    account: Option<String>,
    on_account: bool,
    address: IpAddr,
}

impl Throttle {
    /// Reserves an attempt from `address` at `account` (its name and the digest of its
    /// password hash; `None` for a name nobody has).
    pub fn reserve(&self, account: Option<(&str, [u8; 32])>, address: IpAddr, limits: &Limits) -> Ticket {
        let now = Instant::now();
        let address = key_of(address);
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let inner = &mut *guard;
        if inner.addresses.touch(&address).is_none() {
            inner.addresses.insert(address, Counter::default());
        }
        let Some(by_address) = inner.addresses.peek_mut(&address) else {
            return Ticket { check: false, account: None, on_account: false, address };
        };
        let mut check = by_address.open(limits.address_failures, limits.lockout_for, now);
        let mut on_account = false;
        let mut account_counter = None;
        if let Some((name, hash)) = account {
            let a = inner.accounts.entry(name.to_owned()).or_insert_with(|| Account {
                counter: Counter::default(),
                hash,
                known: Vec::new(),
            });
            if a.hash != hash {
                // Given a new password (here or from the command line): a fresh start.
                *a = Account { counter: Counter::default(), hash, known: Vec::new() };
            }
            if !a.known.contains(&address) {
                on_account = true;
                check &= a.counter.open(limits.lockout_after, limits.lockout_for, now);
            }
            account_counter = Some(&mut a.counter);
        }
        if check {
            by_address.in_flight += 1;
            if let (true, Some(c)) = (on_account, account_counter) {
                c.in_flight += 1;
            }
        }
        Ticket { check, account: account.map(|(n, _)| n.to_owned()), on_account, address }
    }

    /// The outcome of a checked attempt.
    pub fn finish(&self, ticket: &Ticket, ok: bool, limits: &Limits) {
        if !ticket.check {
            return;
        }
        let now = Instant::now();
        let mut guard = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let inner = &mut *guard;
        if let Some(c) = inner.addresses.peek_mut(&ticket.address) {
            c.finish(ok, limits.address_failures, limits.lockout_for, now);
        }
        let Some(a) = ticket.account.as_ref().and_then(|n| inner.accounts.get_mut(n)) else {
            return;
        };
        if ticket.on_account {
            a.counter.finish(ok, limits.lockout_after, limits.lockout_for, now);
        }
        if ok {
            a.counter = Counter { in_flight: a.counter.in_flight, ..Counter::default() };
            a.known.retain(|k| *k != ticket.address);
            if a.known.len() >= KNOWN {
                a.known.remove(0);
            }
            a.known.push(ticket.address);
        }
    }

    /// How long `name` stays locked for addresses it never signed in from, if it is.
    pub fn locked(&self, name: &str) -> Option<Duration> {
        let inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.accounts.get(name).and_then(|a| a.counter.locked(Instant::now()))
    }

    /// Forgets `name`'s wrong passwords (an admin's unlock); whether it was locked.
    pub fn unlock(&self, name: &str) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        inner.accounts.get_mut(name).is_some_and(|a| {
            let was = a.counter.locked(now).is_some();
            a.counter = Counter { in_flight: a.counter.in_flight, ..Counter::default() };
            was
        })
    }
}

/// What one client is counted as: an IPv6 client by its /64 (one subscriber's block, which
/// they could otherwise walk through), an IPv4 one (or IPv4 mapped into IPv6) by its address.
fn key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// The client's address: the connection's peer, or, when that is a trusted proxy, the last
/// address of its `X-Forwarded-For` (the one the proxy itself added). Without a connection
/// (the in-process tests), the unspecified address.
pub fn client(peer: Option<SocketAddr>, headers: &HeaderMap, site: &Site) -> IpAddr {
    let Some(peer) = peer.map(|p| p.ip()) else {
        return IpAddr::from([0, 0, 0, 0]);
    };
    if !site.trusted_proxies.contains(&peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or(peer)
}

enum Message {
    Event { at: String, actor: String, action: String, detail: String },
    Flush(Sender<()>),
}

/// The journal's queue: sign-ins and refusals are written by one thread, and the request
/// that causes them does not wait (a refusal answers in the time any refusal takes).
pub struct Journal {
    desk: std::sync::Weak<super::Desk>,
    sender: Mutex<Option<Sender<Message>>>,
}

impl Journal {
    /// The queue of the journal of `desk`'s ledger (its thread starts with the first event,
    /// and signs each write with the key the desk signs with then).
    pub fn new(desk: std::sync::Weak<super::Desk>) -> Journal {
        Journal { desk, sender: Mutex::new(None) }
    }

    /// Queues an event.
    pub fn record(&self, actor: &str, action: &str, detail: &str) {
        self.send(Message::Event {
            at: keygen_core::key_record::now_rfc3339(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            detail: detail.to_owned(),
        });
    }

    /// Waits until every event queued before is written (or failed).
    pub fn flush(&self) {
        let (done, wait) = channel();
        self.send(Message::Flush(done));
        let _ = wait.recv();
    }

    fn send(&self, m: Message) {
        let mut sender = self.sender.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let s = sender.get_or_insert_with(|| {
            let (s, r) = channel();
            let desk = self.desk.clone();
            std::thread::spawn(move || write(&desk, &r));
            s
        });
        let _ = s.send(m);
    }
}

fn write(desk: &std::sync::Weak<super::Desk>, messages: &Receiver<Message>) {
    while let Ok(first) = messages.recv() {
        let mut events = Vec::new();
        let mut flushes = Vec::new();
        for m in std::iter::once(first).chain(std::iter::from_fn(|| messages.try_recv().ok())).take(256) {
            match m {
                Message::Event { at, actor, action, detail } => events.push((at, actor, action, detail)),
                Message::Flush(done) => flushes.push(done),
            }
        }
        // The desk is gone when its last handle is dropped: nothing is left to write for.
        let Some(desk) = desk.upgrade() else { return };
        if !events.is_empty() {
            let written = super::writer::signed_write(&desk, |conn| {
                for (at, actor, action, detail) in &events {
                    keygen_core::db::people::event(conn, at, actor, action, detail)
                        .map_err(keygen_core::error::Error::db("cannot write the desk's journal"))?;
                }
                Ok(())
            });
            if let Err(e) = written {
                cli_support::warn(&format!(
                    "keygen desk: {} sign-in events not journaled: {e}",
                    events.len()
                ));
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_reservations_never_pass_the_limit_and_a_known_address_still_opens() {
        let limits = Limits::default();
        let t = Throttle::default();
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        let home: IpAddr = "192.0.2.7".parse().unwrap();
        let sam = Some(("sam", [1; 32]));
        // Sam signs in from home once.
        let first = t.reserve(sam, home, &limits);
        assert!(first.check);
        t.finish(&first, true, &limits);
        // Eight guesses at once from a stranger: five are checked.
        let tickets: Vec<Ticket> = (0..8).map(|_| t.reserve(sam, stranger, &limits)).collect();
        assert_eq!(tickets.iter().filter(|t| t.check).count(), limits.lockout_after as usize);
        for ticket in &tickets {
            t.finish(ticket, false, &limits);
        }
        assert!(t.locked("sam").is_some());
        assert!(!t.reserve(sam, stranger, &limits).check, "locked for the stranger");
        assert!(t.reserve(sam, home, &limits).check, "not from where sam signs in");
        // A new password (the digest changes) or an admin's unlock starts again.
        assert!(t.reserve(Some(("sam", [2; 32])), stranger, &limits).check);
        assert!(!t.unlock("nobody"));
    }

    #[test]
    fn after_a_lock_runs_out_one_wrong_guess_does_not_lock_again() {
        let (limit, period) = (5, Duration::from_secs(900));
        let now = Instant::now();
        // Locked a moment ago until just now, with the count from within the period.
        let mut c = Counter {
            failures: limit,
            in_flight: 0,
            first: now.checked_sub(Duration::from_secs(60)),
            locked_until: Some(now),
        };
        assert!(c.open(limit, period, now));
        c.in_flight += 1;
        c.finish(false, limit, period, now);
        assert_eq!(c.failures, 1);
        assert!(c.locked(now).is_none());
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let site = Site::new("127.0.0.1:8417".parse().unwrap(), false, &[], &["127.0.0.1".parse().unwrap()])
            .unwrap();
        let mut headers = HeaderMap::new();
        // The client's own header first, then the one the proxy appended.
        headers.insert("x-forwarded-for", "10.9.9.9, 198.51.100.4".parse().unwrap());
        let via_proxy = client(Some("127.0.0.1:5000".parse().unwrap()), &headers, &site);
        assert_eq!(via_proxy, "198.51.100.4".parse::<IpAddr>().unwrap());
        let direct = client(Some("192.0.2.8:5000".parse().unwrap()), &headers, &site);
        assert_eq!(direct, "192.0.2.8".parse::<IpAddr>().unwrap(), "anyone else's header is ignored");
    }

    #[test]
    fn an_address_is_stopped_after_its_own_limit_whatever_the_names() {
        let limits = Limits::default();
        let t = Throttle::default();
        let from: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::ffff".parse().unwrap();
        for i in 0..limits.address_failures {
            let ticket = t.reserve(None, if i % 2 == 0 { from } else { same_64 }, &limits);
            assert!(ticket.check, "{i}");
            t.finish(&ticket, false, &limits);
        }
        assert!(!t.reserve(None, from, &limits).check);
        assert!(t.reserve(None, "2001:db8:0:1::1".parse().unwrap(), &limits).check);
    }
}
