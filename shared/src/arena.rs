//! The modules' allocator: one region per request, over a general heap (talc in the modules).
//!
//! Reading a request allocates a few dozen to a few hundred small blocks (strings decoded from
//! escapes, vectors, the boxed levels of an object, the message) and frees every one of them
//! before the answer leaves the module. wasi-libc's dlmalloc, the system allocator of
//! `wasm32-wasip1`, took 5 to 8 % of a request's guest time in the policies that allocate
//! most. While a waPC handler runs ([`during`]), blocks are instead cut from one
//! region in order (a bump pointer), the last one grows where it is, and freeing one only
//! counts it; when no block of the region is live, the region is empty again.
//!
//! Nothing in the region is ever handed out twice while it is live: the region empties only
//! when its count of live blocks is zero. What must outlive a request (the cached settings)
//! is allocated [`outside`] the region. Anything else that did would keep the region from
//! emptying, and blocks would then come from the heap underneath, as they did before: slower,
//! never wrong. A request that needs more than the region takes the rest from that heap too.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

/// Room for every block of a typical request many times over, and for a thousand listed
/// NetworkPolicies or Services, whose decoded forms all live until the verdict: at 256 KiB those
/// overflowed, and their growing lists were copied block to block (network-policy-presence at
/// 1,000 listed objects 4 % slower). Only the pages a request touches are ever used; larger
/// requests overflow to the heap underneath.
pub const REGION_SIZE: usize = 1024 * 1024;
const REGION_ALIGN: usize = 16;

/// A bump region over `A`, taken from `A` at its first use.
pub struct Region<A> {
    backing: A,
    /// The region's bounds (0 before its first use, and if `A` could not give it).
    base: Cell<usize>,
    end: Cell<usize>,
    /// The next free byte.
    top: Cell<usize>,
    /// Blocks of the region not yet freed.
    live: Cell<usize>,
    /// New blocks come from the region (inside a handler).
    active: Cell<bool>,
}

impl<A: GlobalAlloc> Region<A> {
    pub const fn new(backing: A) -> Self {
        Region {
            backing,
            base: Cell::new(0),
            end: Cell::new(0),
            top: Cell::new(0),
            live: Cell::new(0),
            active: Cell::new(false),
        }
    }

    /// Runs `f` with new blocks taken from the region (or not), restoring the previous mode.
    pub fn with<T>(&self, active: bool, f: impl FnOnce() -> T) -> T {
        let previous = self.active.replace(active);
        let out = f();
        self.active.set(previous);
        out
    }

    /// Blocks of the region still live, and bytes in use.
    #[cfg(test)]
    fn usage(&self) -> (usize, usize) {
        (self.live.get(), self.top.get() - self.base.get())
    }

    fn contains(&self, ptr: *mut u8) -> bool {
        let at = ptr as usize;
        self.base.get() <= at && at < self.end.get()
    }

    /// A block of the region, or `None` when it has no room (or could not be had).
    fn bump(&self, layout: Layout) -> Option<*mut u8> {
        if self.end.get() == 0 {
            // SAFETY: the layout has a non-zero size and a power-of-two alignment.
            let base = unsafe {
                self.backing
                    .alloc(Layout::from_size_align_unchecked(REGION_SIZE, REGION_ALIGN))
            };
            if base.is_null() {
                return None;
            }
            let base = base as usize;
            self.base.set(base);
            self.top.set(base);
            self.end.set(base + REGION_SIZE);
        }
        let start = self.top.get().checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let top = start.checked_add(layout.size())?;
        if top > self.end.get() {
            return None;
        }
        self.top.set(top);
        self.live.set(self.live.get() + 1);
        Some(start as *mut u8)
    }

    /// A block moved to a new one of `new_size` bytes (from the region when it has room), for
    /// the heap's blocks too: the region needs no `realloc` of its backing allocator, whose
    /// aligned fallback weighed a KB in every module. Vectors grow by doubling, so a copy per
    /// growth costs little.
    ///
    /// # Safety
    /// `GlobalAlloc::realloc`'s contract.
    #[inline]
    unsafe fn relocate(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `new_size` with the block's alignment is a valid layout, non-zero (the
        // caller's contract); the old block is readable for the bytes copied and the new one
        // writable for them, and they are distinct blocks.
        unsafe {
            let moved = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            moved
        }
    }
}

// SAFETY: blocks are the region's (handed out once, between `base` and `end`) or the backing
// allocator's, whose contract is passed on unchanged; the region's own state is in `Cell`s.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Region<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.active.get()
            && let Some(block) = self.bump(layout)
        {
            return block;
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.backing.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.contains(ptr) {
            // SAFETY: not the region's, so the backing allocator's block.
            return unsafe { self.backing.dealloc(ptr, layout) };
        }
        let live = self.live.get() - 1;
        self.live.set(live);
        if live == 0 {
            self.top.set(self.base.get());
        } else if ptr as usize + layout.size() == self.top.get() {
            // The last block cut: its room is free again at once (a vector's old buffer as it
            // grows, a temporary string).
            self.top.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.contains(ptr) {
            let at = ptr as usize;
            // The last block grows or shrinks where it is: a vector being filled.
            if at + layout.size() == self.top.get()
                && let Some(top) = at.checked_add(new_size)
                && top <= self.end.get()
            {
                self.top.set(top);
                return ptr;
            }
            if new_size <= layout.size() {
                return ptr;
            }
        }
        // SAFETY: the caller's contract.
        unsafe { self.relocate(ptr, layout, new_size) }
    }
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The modules' heap under the region, and C's ([`crate::c_heap`]): talc, which takes its
/// memory from `memory.grow`. wasi-libc's dlmalloc served before and weighed about 9 KB in
/// every module; with talc, each module is 7.6 KB smaller, and every policy's typical request
/// takes the same instructions within 0.15 % (callgrind, 2026-12-07).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub(crate) struct Heap;

// SAFETY: talc's contract, passed on unchanged.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract.
        unsafe { TALC.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { TALC.dealloc(ptr, layout) }
    }
}

/// The module's allocator.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static GLOBAL: Region<Heap> = Region::new(Heap);

// SAFETY: a module without the atomics feature runs on one thread.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
unsafe impl Sync for Region<Heap> {}

/// Runs `f` with new blocks from the region or not. Natively (tests, benchmarks), where the
/// platform's allocator serves, it only runs `f`.
fn with<T>(active: bool, f: impl FnOnce() -> T) -> T {
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    return GLOBAL.with(active, f);
    #[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
    {
        let _ = active;
        f()
    }
}

/// Runs a waPC handler: its blocks come from the region.
pub fn during<T>(f: impl FnOnce() -> T) -> T {
    with(true, f)
}

/// Runs `f` with its blocks taken from the heap under the region: for what outlives the request.
pub fn outside<T>(f: impl FnOnce() -> T) -> T {
    with(false, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_cut_in_order_and_the_region_empties_when_none_is_live() {
        let region = Region::new(System);
        region.with(true, || unsafe {
            let a = region.alloc(layout(10, 1));
            let b = region.alloc(layout(8, 8));
            assert!(region.contains(a) && region.contains(b));
            assert_eq!(b as usize % 8, 0);
            assert!(b as usize >= a as usize + 10);
            // Freeing a block that is not the last only counts it.
            region.dealloc(a, layout(10, 1));
            assert_eq!(region.usage().0, 1);
            assert!(region.usage().1 >= 18);
            region.dealloc(b, layout(8, 8));
            assert_eq!(region.usage(), (0, 0));
            // The next block starts the region again.
            let c = region.alloc(layout(4, 4));
            assert_eq!(c, a);
            region.dealloc(c, layout(4, 4));
        });
    }

    #[test]
    fn a_live_block_keeps_its_memory() {
        let region = Region::new(System);
        region.with(true, || unsafe {
            let kept = region.alloc(layout(16, 8));
            kept.write_bytes(0xab, 16);
            for _ in 0..1000 {
                let t = region.alloc(layout(64, 8));
                assert!(t as usize >= kept as usize + 16);
                t.write_bytes(0, 64);
                region.dealloc(t, layout(64, 8));
            }
            assert!((0..16).all(|i| *kept.add(i) == 0xab));
            region.dealloc(kept, layout(16, 8));
        });
    }

    #[test]
    fn outside_a_handler_and_beyond_the_region_blocks_are_the_systems() {
        let region = Region::new(System);
        unsafe {
            let before = region.alloc(layout(32, 8));
            assert!(!region.contains(before));
            region.with(true, || {
                let big = region.alloc(layout(REGION_SIZE + 1, 8));
                assert!(!big.is_null() && !region.contains(big));
                let small = region.alloc(layout(32, 8));
                assert!(region.contains(small));
                let held = region.with(false, || region.alloc(layout(32, 8)));
                assert!(!region.contains(held));
                for (p, l) in [(big, layout(REGION_SIZE + 1, 8)), (small, layout(32, 8))] {
                    region.dealloc(p, l);
                }
                region.dealloc(held, layout(32, 8));
            });
            region.dealloc(before, layout(32, 8));
            assert_eq!(region.usage(), (0, 0));
        }
    }

    #[test]
    fn a_full_region_hands_over_to_the_system() {
        let region = Region::new(System);
        region.with(true, || unsafe {
            let most = region.alloc(layout(REGION_SIZE - 8, 8));
            assert!(region.contains(most));
            let next = region.alloc(layout(64, 8));
            assert!(!next.is_null() && !region.contains(next));
            region.dealloc(next, layout(64, 8));
            region.dealloc(most, layout(REGION_SIZE - 8, 8));
            assert_eq!(region.usage(), (0, 0));
        });
    }

    #[test]
    fn reallocation_grows_the_last_block_in_place_and_moves_others() {
        let region = Region::new(System);
        region.with(true, || unsafe {
            let a = region.alloc(layout(8, 4));
            a.copy_from(b"abcdefgh".as_ptr(), 8);
            let grown = region.realloc(a, layout(8, 4), 100);
            assert_eq!(grown, a);
            let b = region.alloc(layout(4, 4));
            // No longer the last block: it moves, with its bytes.
            let moved = region.realloc(a, layout(100, 4), 200);
            assert_ne!(moved, a);
            assert_eq!(std::slice::from_raw_parts(moved, 8), b"abcdefgh");
            assert_eq!(region.usage().0, 2);
            // Shrinking never moves.
            assert_eq!(region.realloc(b, layout(4, 4), 2), b);
            region.dealloc(b, layout(2, 4));
            region.dealloc(moved, layout(200, 4));
            assert_eq!(region.usage(), (0, 0));
        });
    }
}
