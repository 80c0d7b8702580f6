//! Memory for the support page's JavaScript loader: it copies texts and keys into the
//! module's memory before a call. Only in the WebAssembly build; a C host uses its own memory.

/// Reserves `len` bytes and returns where they start (never null for `len > 0`).
#[unsafe(no_mangle)]
pub extern "C" fn pk_alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Releases `len` bytes reserved by [`pk_alloc`].
///
/// # Safety
/// `ptr` and `len` must be those of one earlier `pk_alloc`, released once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pk_dealloc(ptr: *mut u8, len: usize) {
    // SAFETY: `ptr` was allocated by `pk_alloc` as a Vec<u8> of capacity `len`; its length 0
    // means nothing is dropped but the allocation.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
}
