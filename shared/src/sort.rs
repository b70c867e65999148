//! One sort for every list the shared crate orders.
//!
//! `slice::sort_by` instantiates the standard library's stable sort (several KB of wasm) once per
//! element type and comparator, and every module carried three of them (violations, CIDR ranges,
//! controller classes). Here the sort itself runs once, on indices through a `dyn` comparator,
//! and only the short move of the elements into place is instantiated per type.

use std::cmp::Ordering;

/// Sorts `items` by `cmp`, stably: the same order as `items.sort_by(cmp)`.
pub fn sort_by<T>(items: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = sorted_indices(items.len(), &mut |a, b| cmp(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// `0..len` stably sorted by `cmp`; not inlined, so that the module holds this sort once.
#[inline(never)]
fn sorted_indices(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| cmp(a, b));
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
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let mut got = input;
        sort_by(&mut got, |a, b| a.0.cmp(&b.0));
        assert_eq!(got, expected);
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
