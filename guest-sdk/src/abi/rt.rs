//! The little runtime the generated bindings call (`--runtime-path crate::abi::rt`),
//! in place of the `wit-bindgen` crate's: the `cabi_realloc` export through which
//! the host allocates guest memory for a call's arguments, and the one-time call of
//! the module's constructors.

use std::alloc::{self, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

/// The canonical ABI's allocator: the host calls it to place lowered arguments (the
/// batch's buffers) in guest memory; the bindings then own them as `Vec`s.
///
/// # Safety
///
/// Called by the host as the canonical ABI specifies: `old_ptr`/`old_len`/`align`
/// describe an allocation made by this function (or `old_len` is 0), `align` is a
/// power of two.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    let ptr = if old_len == 0 {
        if new_len == 0 {
            // A dangling, aligned pointer, as for an empty Vec.
            return align as *mut u8;
        }
        // SAFETY: `align` is a power of two and `new_len` non-zero, by the ABI.
        unsafe { alloc::alloc(Layout::from_size_align_unchecked(new_len, align)) }
    } else {
        // SAFETY: the block was allocated here with this size and alignment.
        unsafe { alloc::realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len) }
    };
    if ptr.is_null() {
        // Out of memory inside the sandbox: trap, the host replaces the instance.
        std::process::abort();
    }
    ptr
}

/// Makes sure `cabi_realloc` is linked: it is defined in this crate, so there is
/// nothing to do.
pub fn maybe_link_cabi_realloc() {}

/// Runs the module's static constructors once, before the first export runs
/// (otherwise the linker would wrap every export with a call to them).
pub fn run_ctors_once() {
    static RAN: AtomicBool = AtomicBool::new(false);
    if !RAN.swap(true, Ordering::Relaxed) {
        unsafe extern "C" {
            fn __wasm_call_ctors();
        }
        // SAFETY: provided by the linker; called once, before any other code runs.
        unsafe { __wasm_call_ctors() }
    }
}

/// A block the bindings allocate to lower a list; freed on drop unless forgotten
/// (results are forgotten: the post-return export frees them after the host read
/// them).
pub struct Cleanup;

impl Cleanup {
    /// Allocates `layout`; a zero-size layout needs no block (and gets an aligned,
    /// dangling pointer).
    // The name and shape are what the generated bindings call.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(layout: Layout) -> (*mut u8, Option<CleanupGuard>) {
        if layout.size() == 0 {
            return (layout.align() as *mut u8, None);
        }
        // SAFETY: the size is non-zero.
        let ptr = unsafe { alloc::alloc(layout) };
        if ptr.is_null() {
            alloc::handle_alloc_error(layout);
        }
        (ptr, Some(CleanupGuard { ptr, layout }))
    }
}

/// Frees a [`Cleanup`] block when dropped.
pub struct CleanupGuard {
    ptr: *mut u8,
    layout: Layout,
}

impl CleanupGuard {
    /// Keeps the block alive: someone else frees it.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        // SAFETY: allocated in `Cleanup::new` with this layout.
        unsafe { alloc::dealloc(self.ptr, self.layout) }
    }
}
