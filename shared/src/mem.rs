//! Byte-level work the wasm modules do on every request, faster than the defaults they link:
//! `memcmp` and `bcmp` eight bytes at a time, and the UTF-8 check of a payload sixteen at a time.
//!
//! compiler-builtins gives wasm32 a byte-by-byte `memcmp`, and every string comparison goes
//! through it: map keys with long shared prefixes (`app.kubernetes.io/...`, a controller's
//! annotation prefix), field names, hosts. Defined here, these replace its weak symbols in
//! every module; natively the platform's own are used.

use std::cmp::Ordering;

/// The order of `a` and `b` by their bytes, as `memcmp` gives it (slices of one length). Whole
/// words are compared, the last one overlapping the one before it (its first bytes were found
/// equal), so no length is compared byte by byte past the first three: most comparisons are of
/// keys and names of 4 to 30 bytes. 0.7 % fewer instructions per typical request of
/// coredns-config and host-ownership, whose map lookups and name matches call it most. (Sixteen
/// bytes at a time with SIMD did less: these are short.)
#[inline(always)]
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    // Loaded little-endian, two words' lowest differing bit is in their first differing byte.
    let order = |x: u64, y: u64, at: usize| {
        let first = at + ((x ^ y).trailing_zeros() / 8) as usize;
        a[first].cmp(&b[first])
    };
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            let (x, y) = (word(&a[at..at + 8]), word(&b[at..at + 8]));
            if x != y {
                return order(x, y, at);
            }
            at += 8;
        }
        let at = n - 8;
        let (x, y) = (word(&a[at..]), word(&b[at..]));
        return if x != y {
            order(x, y, at)
        } else {
            Ordering::Equal
        };
    }
    if n >= 4 {
        let half = |s: &[u8], at: usize| match s[at..at + 4] {
            [p, q, r, t] => u64::from(u32::from_le_bytes([p, q, r, t])),
            _ => 0,
        };
        for at in [0, n - 4] {
            let (x, y) = (half(a, at), half(b, at));
            if x != y {
                return order(x, y, at);
            }
        }
        return Ordering::Equal;
    }
    // Byte by byte: a slice comparison here would call `memcmp`, that is, this function.
    let mut at = 0;
    while at < n {
        if a[at] != b[at] {
            return a[at].cmp(&b[at]);
        }
        at += 1;
    }
    Ordering::Equal
}

/// Eight bytes as one little-endian word; element by element, which compiles to one load where
/// `copy_from_slice` stays a call (0 for a slice of another length).
#[inline(always)]
pub(crate) fn word(bytes: &[u8]) -> u64 {
    match *bytes {
        [a, b, c, d, e, f, g, h] => u64::from_le_bytes([a, b, c, d, e, f, g, h]),
        _ => 0,
    }
}

/// `bytes` as text, checked as `std::str::from_utf8` checks it (the same error when they are
/// not UTF-8). With wasm's SIMD, the ASCII bytes that start it (most requests are ASCII to the
/// end: keys, names, labels) are passed sixteen at a time, and only what follows goes to core's
/// check, whose fast path reads a `usize` (four bytes in wasm32) at a time.
pub fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    let ascii = ascii_prefix(bytes);
    match std::str::from_utf8(&bytes[ascii..]) {
        // SAFETY: ASCII followed by UTF-8 is UTF-8 (the prefix ends between characters).
        Ok(_) => Ok(unsafe { std::str::from_utf8_unchecked(bytes) }),
        // Checked whole again, for the error's offset.
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// How many bytes at the start of `bytes` are ASCII, in steps of sixteen (the rest is core's).
#[inline(always)]
fn ascii_prefix(bytes: &[u8]) -> usize {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let mut at = 0;
        while let Some(v) = lanes(bytes, at) {
            // The high bit of each byte: set only outside ASCII.
            if core::arch::wasm32::u8x16_bitmask(v) != 0 {
                break;
            }
            at += 16;
        }
        at
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let _ = bytes;
        0
    }
}

/// The sixteen bytes of `bytes` from `at` as one SIMD vector, if there are as many: the one
/// load of the modules' 16-byte scans ([`utf8`], the reader's string runs).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
pub(crate) fn lanes(bytes: &[u8], at: usize) -> Option<core::arch::wasm32::v128> {
    let chunk = bytes.get(at..at + 16)?;
    // SAFETY: the chunk holds 16 readable bytes; a v128 load needs no alignment.
    Some(unsafe { core::ptr::read_unaligned(chunk.as_ptr().cast()) })
}

#[cfg(target_arch = "wasm32")]
mod symbols {
    /// # Safety
    /// `a` and `b` are readable for `n` bytes, as C's `memcmp` requires.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        if n == 0 {
            return 0;
        }
        // SAFETY: the caller's contract (C's memcmp): both are readable for `n` bytes.
        let (a, b) = unsafe {
            (
                core::slice::from_raw_parts(a, n),
                core::slice::from_raw_parts(b, n),
            )
        };
        super::compare(a, b) as i32
    }

    /// # Safety
    /// As [`memcmp`]; only equality is told.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: the same contract.
        unsafe { memcmp(a, b, n) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_utf8_as_std_does() {
        let long = "x".repeat(40);
        let texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"{\"a\":1}".to_vec(),
            format!("{long}\u{e9}{long}").into_bytes(),
            [long.as_bytes(), &[0xff], long.as_bytes()].concat(),
            [long.as_bytes(), &[0xc3]].concat(),
            [&[0xe2, 0x82][..], long.as_bytes()].concat(),
        ];
        for text in &texts {
            assert_eq!(utf8(text), std::str::from_utf8(text), "{text:?}");
        }
    }

    #[test]
    fn orders_as_the_bytes_do() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "abcdefgh",
            "abcdefgi",
            "abcdefghi",
            "abcdefgh\u{ff}",
            "app.kubernetes.io/name",
            "app.kubernetes.io/part-of",
            "app.kubernetes.io/nam",
            "example.com/note-10",
            "example.com/note-9",
            "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{1}",
        ];
        for a in words {
            for b in words {
                let n = a.len().min(b.len());
                let (a, b) = (&a.as_bytes()[..n], &b.as_bytes()[..n]);
                assert_eq!(compare(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
        // Every position of a single difference, across word boundaries.
        let base = vec![b'x'; 40];
        for i in 0..40 {
            for (lo, hi) in [(b'a', b'y'), (0x00, 0xff), (0x7f, 0x80)] {
                let (mut a, mut b) = (base.clone(), base.clone());
                a[i] = lo;
                b[i] = hi;
                assert_eq!(compare(&a, &b), Ordering::Less, "{i}");
                assert_eq!(compare(&b, &a), Ordering::Greater, "{i}");
                assert_eq!(compare(&a, &a), Ordering::Equal);
            }
        }
    }
}
