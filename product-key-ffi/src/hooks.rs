//! A forced panic, for the test that the out parameters stay safe to free after
//! `PK_ERROR_PANIC` (tests/panic.rs). Only a build with the `test-hooks` feature has it,
//! which only that test enables: every other build compiles it to nothing.

/// What a key text must hold for a `test-hooks` build to panic while judging it.
#[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
pub(crate) const PANIC_MARK: &str = "PK-TEST-HOOK-PANIC";

/// Panics when `text` holds [`PANIC_MARK`], in a `test-hooks` build; called after the
/// verdict's strings are made, so that the test also sees they are not leaked.
#[cfg(feature = "test-hooks")]
pub(crate) fn panic_point(text: &str) {
    if text.contains(PANIC_MARK) {
        panic!("forced by the test-hooks feature");
    }
}

/// Nothing, in every build but a `test-hooks` one.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub(crate) fn panic_point(_text: &str) {}
