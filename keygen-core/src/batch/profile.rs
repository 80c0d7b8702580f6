//! Where a batch's CPU goes, when `KEYGEN_BATCH_PROFILE` is set (the bench sets it): each
//! thread's CPU time (user and system: `CLOCK_THREAD_CPUTIME_ID`) added up by stage, and
//! printed a row at a time on standard error once the output is published. Instruction
//! counts (callgrind) are steadier on a loaded machine but miss what the kernel does and
//! how fast each instruction runs (SHA-NI, cache misses), which this sees. Unset, a span
//! costs one load of a flag.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// A stage of a batch, on the thread that runs it.
#[derive(Clone, Copy)]
pub enum Stage {
    /// Pass 1 on the calling thread: reading, decoding and copying the input, matching orders.
    Check,
    /// Pass 1 on the pool: each row's plan.
    CheckPlans,
    /// Pass 2's reader thread: the private copy parsed again.
    Read,
    /// The pool: the Ed25519 signature and the key's text (`signer.issue`).
    Sign,
    /// The pool: all of a part's work (plans, signatures, records, chain JSON, search
    /// column, output lines); the report subtracts [`Stage::Sign`].
    Part,
    /// The writer thread: all of a chunk's work (chain hashes, inserts); the report
    /// subtracts [`Stage::Insert`].
    Write,
    /// The writer thread: the backend's insert of a part's rows.
    Insert,
    /// The output thread: the lines encoded and written, the rows freed.
    Output,
    /// The commit: the last pages, the signed head, the WAL folded in.
    Commit,
}

const STAGES: usize = 9;
static SPENT: [AtomicU64; STAGES] = [const { AtomicU64::new(0) }; STAGES];

fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("KEYGEN_BATCH_PROFILE").is_some())
}

fn thread_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(t.tv_nsec).unwrap_or(0)
}

/// Counts the calling thread's CPU time from now until it is dropped.
pub struct Span(Option<(Stage, u64)>);

/// A span of `stage` (nothing when profiling is off).
pub fn span(stage: Stage) -> Span {
    Span(on().then(|| (stage, thread_ns())))
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some((stage, start)) = self.0 {
            SPENT[stage as usize].fetch_add(thread_ns().saturating_sub(start), Ordering::Relaxed);
        }
    }
}

/// Prints the CPU per row of each stage, and the signatures' share of the whole.
pub fn report(rows: u64) {
    if !on() || rows == 0 {
        return;
    }
    let get = |s: Stage| SPENT[s as usize].load(Ordering::Relaxed) as f64;
    let lines = [
        ("check: read, decode, copy, orders", get(Stage::Check)),
        ("check: plans (pool)", get(Stage::CheckPlans)),
        ("sign: read the copy again", get(Stage::Read)),
        ("sign: signatures and key text (pool)", get(Stage::Sign)),
        ("sign: plan, record, chain JSON, line (pool)", (get(Stage::Part) - get(Stage::Sign)).max(0.0)),
        ("write: chain hashes", (get(Stage::Write) - get(Stage::Insert)).max(0.0)),
        ("write: inserts", get(Stage::Insert)),
        ("output: encode and write", get(Stage::Output)),
        ("commit", get(Stage::Commit)),
    ];
    let total: f64 = lines.iter().map(|(_, ns)| ns).sum();
    eprintln!("CPU a row by stage (thread CPU time, user and system), {rows} rows:");
    for (what, ns) in lines {
        eprintln!("  {what:<45} {:7.2} us  {:5.1} %", ns / 1e3 / rows as f64, 100.0 * ns / total.max(1.0));
    }
    eprintln!(
        "  {:<45} {:7.2} us; the signatures are {:.1} % of it",
        "all",
        total / 1e3 / rows as f64,
        100.0 * get(Stage::Sign) / total.max(1.0)
    );
}
