//! C's allocation functions (`malloc`, `calloc`, `realloc`, `free`, `posix_memalign`) for the
//! wasm modules, over the modules' own allocator.
//!
//! std calls C's heap only on paths a policy hardly takes (the panic hook's `getenv` and
//! `getcwd`, a thread's name), yet each of those calls linked wasi-libc's allocator,
//! dlmalloc, into every module: about 9 KB of code beside the allocator the module does use.
//! Defined here, they keep `dlmalloc.c.obj` out of the link. wasm-ld takes a member of an
//! archive such as wasi-libc's `libc.a` only for a symbol that nothing linked before it
//! defines, so it is not taken at all; were it ever needed for another of its symbols, the
//! link would stop on duplicate symbols instead of linking two heaps. The symbols are those
//! libstd's object files leave undefined for wasm32-wasip1 (`llvm-nm`: `malloc`, `calloc`,
//! `realloc`, `free`, `posix_memalign`).
//!
//! A C block carries its size in front of it, since C's `free` is not told it; the functions
//! are generic over the allocator so the tests run them natively.

use std::alloc::{GlobalAlloc, Layout};
use std::ptr;

/// The alignment of every block: C's `max_align_t` on wasm32, as wasi-libc's dlmalloc gives.
const MIN_ALIGN: usize = 16;

/// A block of `size` bytes aligned to `align` (at least [`MIN_ALIGN`]), its layout in front of
/// it: the room before it (one alignment, so the block stays aligned) holds its size and that
/// room's length in the two words just below it. Null when the size cannot be had.
///
/// # Safety
/// `align` is a power of two.
pub unsafe fn allocate<A: GlobalAlloc>(heap: &A, align: usize, size: usize) -> *mut u8 {
    let align = align.max(MIN_ALIGN);
    let Some(layout) = size
        .checked_add(align)
        .and_then(|total| Layout::from_size_align(total, align).ok())
    else {
        return ptr::null_mut();
    };
    // SAFETY: the layout's size is at least `align`, so not zero; the block starts `align`
    // bytes into the allocation, and the two words below it are inside that room.
    unsafe {
        let base = heap.alloc(layout);
        if base.is_null() {
            return base;
        }
        let block = base.add(align);
        let words = block.cast::<usize>();
        words.sub(1).write(align);
        words.sub(2).write(size);
        block
    }
}

/// The size `block` was allocated with.
///
/// # Safety
/// `block` came from [`allocate`] and is live.
unsafe fn block_size(block: *mut u8) -> usize {
    // SAFETY: `allocate` wrote it there.
    unsafe { block.cast::<usize>().sub(2).read() }
}

/// Frees a block of [`allocate`]; nothing for null.
///
/// # Safety
/// `block` is null, or came from [`allocate`] on `heap` and is live.
pub unsafe fn release<A: GlobalAlloc>(heap: &A, block: *mut u8) {
    if block.is_null() {
        return;
    }
    // SAFETY: the words `allocate` wrote give back the allocation's start and layout.
    unsafe {
        let align = block.cast::<usize>().sub(1).read();
        let layout = Layout::from_size_align_unchecked(block_size(block) + align, align);
        heap.dealloc(block.sub(align), layout);
    }
}

/// `calloc`: `count` elements of `size` bytes, zeroed (memory handed back is not).
///
/// # Safety
/// None beyond `heap` being an allocator.
pub unsafe fn zeroed<A: GlobalAlloc>(heap: &A, count: usize, size: usize) -> *mut u8 {
    let Some(total) = count.checked_mul(size) else {
        return ptr::null_mut();
    };
    // SAFETY: MIN_ALIGN is a power of two; the block is writable for `total` bytes.
    unsafe {
        let block = allocate(heap, MIN_ALIGN, total);
        if !block.is_null() {
            block.write_bytes(0, total);
        }
        block
    }
}

/// `realloc`: a new block with the old one's bytes (as many as fit), the old one freed; the
/// old one stays as it was when no new one can be had. C's callers grow a few small buffers,
/// so it always moves.
///
/// # Safety
/// As [`release`].
pub unsafe fn resize<A: GlobalAlloc>(heap: &A, block: *mut u8, size: usize) -> *mut u8 {
    // SAFETY: a live block of `allocate` is readable for its size, and the new one writable.
    unsafe {
        let moved = allocate(heap, MIN_ALIGN, size);
        if !block.is_null() && !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, block_size(block).min(size));
            release(heap, block);
        }
        moved
    }
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod symbols {
    use crate::arena::Heap as H;

    /// # Safety
    /// C's `malloc` contract.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn malloc(size: usize) -> *mut u8 {
        // SAFETY: MIN_ALIGN is a power of two.
        unsafe { super::allocate(&H, super::MIN_ALIGN, size) }
    }

    /// # Safety
    /// C's `calloc` contract.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut u8 {
        // SAFETY: no precondition.
        unsafe { super::zeroed(&H, count, size) }
    }

    /// # Safety
    /// C's `realloc` contract: `block` is null or a live block of these functions.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn realloc(block: *mut u8, size: usize) -> *mut u8 {
        // SAFETY: the caller's contract.
        unsafe { super::resize(&H, block, size) }
    }

    /// # Safety
    /// C's `free` contract: `block` is null or a live block of these functions.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn free(block: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe { super::release(&H, block) }
    }

    /// # Safety
    /// C's `posix_memalign` contract: `out` is writable.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn posix_memalign(out: *mut *mut u8, align: usize, size: usize) -> i32 {
        // wasi's errno values (wasi-libc `__errno_values.h`).
        const EINVAL: i32 = 28;
        const ENOMEM: i32 = 48;
        if !align.is_power_of_two() || align < size_of::<usize>() {
            return EINVAL;
        }
        // SAFETY: a power of two; `out` is the caller's to write.
        unsafe {
            let block = super::allocate(&H, align, size);
            if block.is_null() {
                return ENOMEM;
            }
            out.write(block);
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    #[test]
    fn blocks_are_aligned_sized_and_freed_with_their_layout() {
        unsafe {
            for (align, size) in [(1, 0), (16, 1), (8, 100), (64, 3), (4096, 10)] {
                let block = allocate(&System, align, size);
                assert!(!block.is_null());
                assert_eq!(block as usize % align.max(MIN_ALIGN), 0, "{align}");
                assert_eq!(block_size(block), size);
                block.write_bytes(0xab, size);
                release(&System, block);
            }
            release(&System, ptr::null_mut());
            assert!(allocate(&System, 16, usize::MAX - 8).is_null());
        }
    }

    #[test]
    fn zeroed_blocks_and_overflowing_counts() {
        unsafe {
            let block = zeroed(&System, 10, 7);
            assert!(
                std::slice::from_raw_parts(block, 70)
                    .iter()
                    .all(|&b| b == 0)
            );
            release(&System, block);
            assert!(zeroed(&System, usize::MAX / 2, 3).is_null());
        }
    }

    #[test]
    fn resizing_keeps_the_bytes_that_fit() {
        unsafe {
            let block = resize(&System, ptr::null_mut(), 4);
            block.copy_from(b"wasi".as_ptr(), 4);
            let grown = resize(&System, block, 64);
            assert_eq!(std::slice::from_raw_parts(grown, 4), b"wasi");
            assert_eq!(block_size(grown), 64);
            let shrunk = resize(&System, grown, 2);
            assert_eq!(std::slice::from_raw_parts(shrunk, 2), b"wa");
            // A size that cannot be had leaves the block as it was.
            assert!(resize(&System, shrunk, usize::MAX).is_null());
            assert_eq!(std::slice::from_raw_parts(shrunk, 2), b"wa");
            release(&System, shrunk);
        }
    }
}
