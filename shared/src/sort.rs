//! One sort for every list the shared crate orders.
//!
//! `slice::sort_by` instantiates the standard library's stable sort (several KB of wasm) once per
//! element type and comparator, and every module carried three of them (violations, CIDR ranges,
//! controller classes). Here the sort itself runs once, on indices through a `dyn` comparator,
//! and only the swaps that move the elements into place are instantiated per type.

use std::cmp::Ordering;

/// Sorts `items` by `cmp`, stably: the same order as `items.sort_by(cmp)`.
pub fn sort_by<T>(items: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut order = sorted_indices(items.len(), &mut |a, b| cmp(&items[a], &items[b]));
    // Position `k` takes the element at `order[k]`: follow each cycle of the permutation with
    // swaps, marking the positions done.
    for start in 0..order.len() {
        let mut at = start;
        while order[at] != usize::MAX {
            let from = std::mem::replace(&mut order[at], usize::MAX);
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// `0..len` stably sorted by `cmp`, by a bottom-up merge sort (on a tie the earlier index comes
/// first); not inlined and not generic, so that the module holds one sort.
#[inline(never)]
fn sorted_indices(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut merged = vec![0; len];
    let mut width = 1;
    while width < len {
        let mut lo = 0;
        while lo < len {
            let mid = len.min(lo + width);
            let hi = len.min(lo + 2 * width);
            let (mut left, mut right) = (lo, mid);
            for slot in &mut merged[lo..hi] {
                let take_left = left < mid
                    && (right >= hi || cmp(order[left], order[right]) != Ordering::Greater);
                if take_left {
                    *slot = order[left];
                    left += 1;
                } else {
                    *slot = order[right];
                    right += 1;
                }
            }
            lo = hi;
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_order_as_the_standard_stable_sort() {
        // Pairs compared by their first element only: ties keep their input order.
        let input: Vec<(u8, usize)> = [3, 1, 2, 1, 3, 0, 2, 1, 0, 3, 3, 1]
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        let mut expected = input.clone();
        expected.sort_by_key(|a| a.0);
        let mut got = input;
        sort_by(&mut got, |a, b| a.0.cmp(&b.0));
        assert_eq!(got, expected);
        // Every length up to 40, pseudo-random keys with many ties.
        for len in 0..40 {
            let input: Vec<(u64, usize)> = (0..len)
                .map(|i| ((i as u64 * 2_654_435_761) % 7, i))
                .collect();
            let mut expected = input.clone();
            expected.sort_by_key(|a| a.0);
            let mut got = input;
            sort_by(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected, "length {len}");
        }
    }

    #[test]
    fn empty_single_and_sorted_lists() {
        let mut empty: Vec<u32> = Vec::new();
        sort_by(&mut empty, u32::cmp);
        assert!(empty.is_empty());
        let mut one = vec![7];
        sort_by(&mut one, u32::cmp);
        assert_eq!(one, [7]);
        let mut reversed: Vec<u32> = (0..100).rev().collect();
        sort_by(&mut reversed, u32::cmp);
        assert_eq!(reversed, (0..100).collect::<Vec<_>>());
    }
}
