//! C's allocation functions, which every module defines over its own heap (talc) in place of
//! wasi-libc's dlmalloc (`shared/src/c_heap.rs`), called inside each built module as std calls
//! them. Every import is a trap, so only the module's own code runs.

use netsec_e2e::{dist_module, policies};
use wasmtime_provider::wasmtime::{Engine, Instance, Linker, Memory, Module, Store, TypedFunc};

struct Guest {
    policy: String,
    store: Store<()>,
    memory: Memory,
    malloc: TypedFunc<u32, u32>,
    calloc: TypedFunc<(u32, u32), u32>,
    realloc: TypedFunc<(u32, u32), u32>,
    free: TypedFunc<u32, ()>,
    posix_memalign: TypedFunc<(u32, u32, u32), i32>,
}

impl Guest {
    fn new(engine: &Engine, policy: &str) -> Guest {
        let module = Module::from_file(engine, dist_module(policy)).unwrap();
        let mut linker = Linker::new(engine);
        linker.define_unknown_imports_as_traps(&module).unwrap();
        let mut store = Store::new(engine, ());
        let instance: Instance = linker.instantiate(&mut store, &module).unwrap();
        let memory = instance.get_memory(&mut store, "memory").unwrap();
        let mut func = |name: &str| {
            instance
                .get_export(&mut store, name)
                .and_then(|e| e.into_func())
                .unwrap_or_else(|| panic!("{policy}: no export {name}"))
        };
        let (malloc, calloc, realloc, free, posix_memalign) = (
            func("malloc"),
            func("calloc"),
            func("realloc"),
            func("free"),
            func("posix_memalign"),
        );
        Guest {
            policy: policy.to_string(),
            malloc: malloc.typed(&store).unwrap(),
            calloc: calloc.typed(&store).unwrap(),
            realloc: realloc.typed(&store).unwrap(),
            free: free.typed(&store).unwrap(),
            posix_memalign: posix_memalign.typed(&store).unwrap(),
            store,
            memory,
        }
    }

    fn malloc(&mut self, size: u32) -> u32 {
        let block = self.malloc.call(&mut self.store, size).unwrap();
        assert!(
            block != 0 && block.is_multiple_of(16),
            "{}: malloc({size}) gave {block}",
            self.policy
        );
        block
    }

    fn free(&mut self, block: u32) {
        self.free.call(&mut self.store, block).unwrap();
    }

    fn fill(&mut self, block: u32, size: u32, byte: u8) {
        let at = block as usize;
        self.memory.data_mut(&mut self.store)[at..at + size as usize].fill(byte);
    }

    fn bytes(&self, block: u32, size: u32) -> &[u8] {
        &self.memory.data(&self.store)[block as usize..(block + size) as usize]
    }
}

#[test]
fn blocks_are_aligned_disjoint_and_keep_their_bytes() {
    let engine = Engine::default();
    for policy in policies() {
        let mut guest = Guest::new(&engine, &policy);
        let mut blocks: Vec<(u32, u32, u8)> = (0..64u32)
            .map(|i| {
                let size = 1 + i * 37;
                let block = guest.malloc(size);
                guest.fill(block, size, i as u8);
                (block, size, i as u8)
            })
            .collect();
        // Every block keeps what was written, whatever was allocated after it.
        for &(block, size, byte) in &blocks {
            assert!(
                guest.bytes(block, size).iter().all(|&b| b == byte),
                "{policy}: block {block} was overwritten"
            );
        }
        blocks.sort();
        for pair in blocks.windows(2) {
            assert!(
                pair[0].0 + pair[0].1 <= pair[1].0,
                "{policy}: blocks overlap"
            );
        }

        // realloc moves the bytes that fit (and frees the old block, which is not freed again
        // below).
        let (block, size, byte) = blocks[10];
        let grown = guest.realloc.call(&mut guest.store, (block, 5000)).unwrap();
        assert!(grown != 0 && grown.is_multiple_of(16));
        assert!(
            guest.bytes(grown, size).iter().all(|&b| b == byte),
            "{policy}: realloc"
        );
        let fresh = guest.realloc.call(&mut guest.store, (0, 24)).unwrap();
        assert!(fresh != 0, "{policy}: realloc of null is malloc");

        // calloc zeroes its block, though a block of the same size freed just before held 0xff.
        let dirty = guest.malloc(256);
        guest.fill(dirty, 256, 0xff);
        guest.free(dirty);
        let zeroed = guest.calloc.call(&mut guest.store, (16, 16)).unwrap();
        assert!(
            guest.bytes(zeroed, 256).iter().all(|&b| b == 0),
            "{policy}: calloc"
        );
        let too_many = guest
            .calloc
            .call(&mut guest.store, (1 << 20, 1 << 20))
            .unwrap();
        assert_eq!(too_many, 0, "{policy}: calloc of 2^40 bytes");

        // posix_memalign: the alignment asked for, EINVAL (28) for one that is not a power of
        // two, and the block written through the out pointer.
        let out = guest.malloc(4);
        for align in [64u32, 4096] {
            let code = guest
                .posix_memalign
                .call(&mut guest.store, (out, align, 100))
                .unwrap();
            assert_eq!(code, 0, "{policy}");
            let aligned = u32::from_le_bytes(guest.bytes(out, 4).try_into().unwrap());
            assert!(
                aligned != 0 && aligned.is_multiple_of(align),
                "{policy}: {aligned} % {align}"
            );
            guest.free(aligned);
        }
        let code = guest
            .posix_memalign
            .call(&mut guest.store, (out, 48, 100))
            .unwrap();
        assert_eq!(code, 28, "{policy}: posix_memalign with alignment 48");

        // The block realloc moved was freed by it.
        for (other, _, _) in blocks {
            if other != block {
                guest.free(other);
            }
        }
        for block in [grown, fresh, zeroed, out] {
            guest.free(block);
        }
        guest.free(0);
    }
}

#[test]
fn freed_memory_is_reused() {
    let engine = Engine::default();
    for policy in policies() {
        let mut guest = Guest::new(&engine, &policy);
        let cycle = |guest: &mut Guest| {
            let small: Vec<u32> = (0..100).map(|i| guest.malloc(16 + i * 8)).collect();
            let large = guest.malloc(200_000);
            for block in small.into_iter().rev() {
                guest.free(block);
            }
            guest.free(large);
        };
        cycle(&mut guest);
        let pages = guest.memory.size(&guest.store);
        for _ in 0..2_000 {
            cycle(&mut guest);
        }
        assert_eq!(
            guest.memory.size(&guest.store),
            pages,
            "{policy}: memory grew over 2,000 cycles of blocks allocated and freed"
        );
    }
}
