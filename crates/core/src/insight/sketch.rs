//! A mergeable, subtractable quantile sketch for durations in whole seconds.
//!
//! Percentiles (median, p90) cannot be added up from per-day medians, and a
//! case whose facts change must be able to take its old value back out of a
//! day's figures. So durations are kept as counts in fixed buckets: merging
//! two sketches adds the counts, removing a contribution subtracts them, and
//! both are exact — the same facts always give the same sketch, whatever the
//! order they were added and removed in.
//!
//! The buckets are log-linear, as in HdrHistogram: values below 128 s have a
//! bucket each; above, every power of two `[2^e, 2^(e+1))` is split into 64
//! equal buckets. A bucket's index is computed with integer arithmetic only
//! (leading zeros and shifts), so every process and platform puts a value
//! in the same bucket — a float logarithm (DDSketch's `ceil(log_γ x)`) could
//! differ in the last bit between builds and make a subtraction miss.
//!
//! **Error bound.** A quantile is answered with the middle of the bucket
//! holding the exact nearest-rank sample, so it is exact below 128 s and
//! otherwise within 1/128 (0.79 %) of the true value, relative: a bucket of
//! width `2^s` starts at `64·2^s` or above, and the middle is at most
//! `(2^s − 1)/2` away from any value in it. Ten years of seconds need at
//! most ~1,800 buckets; a typical day of cases uses a few dozen.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Buckets per power of two: 2^6.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;

/// Subtracting a contribution that was never added: the counts would go
/// negative. The store's rollup and the contribution it removes disagree.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot subtract {0}: the rollup does not hold that contribution")]
pub struct Underflow(pub &'static str);

/// Counts of durations (whole seconds) in log-linear buckets; see the module
/// documentation for the bucket layout and its error bound.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "BTreeMap<u32, u64>", into = "BTreeMap<u32, u64>")]
pub struct DurationSketch {
    /// (bucket index, how many values fell in it), by index; never a zero count.
    buckets: Vec<(u32, u64)>,
}

impl From<BTreeMap<u32, u64>> for DurationSketch {
    fn from(m: BTreeMap<u32, u64>) -> Self {
        DurationSketch { buckets: m.into_iter().filter(|(_, n)| *n > 0).collect() }
    }
}

impl From<DurationSketch> for BTreeMap<u32, u64> {
    fn from(s: DurationSketch) -> Self {
        s.buckets.into_iter().collect()
    }
}

/// The bucket of `v`. Values below 128 are their own bucket.
fn bucket_of(v: u64) -> u32 {
    if v < SUB {
        return v as u32;
    }
    let exponent = 63 - v.leading_zeros();
    let shift = exponent - SUB_BITS;
    let mantissa = (v >> shift) - SUB;
    ((shift + 1) << SUB_BITS) + mantissa as u32
}

/// The smallest value of bucket `i`, and its width.
fn bounds(i: u32) -> (u64, u64) {
    let block = i >> SUB_BITS;
    if block == 0 {
        return (u64::from(i), 1);
    }
    let shift = block - 1;
    let mantissa = u64::from(i) & (SUB - 1);
    ((SUB + mantissa) << shift, 1 << shift)
}

/// The value a bucket answers with: its middle, rounded down.
fn representative(i: u32) -> u64 {
    let (lo, width) = bounds(i);
    lo + (width - 1) / 2
}

impl DurationSketch {
    pub fn new() -> Self {
        DurationSketch::default()
    }

    /// A sketch of the given values.
    pub fn of(values: impl IntoIterator<Item = u64>) -> Self {
        let mut s = DurationSketch::new();
        values.into_iter().for_each(|v| s.insert(v));
        s
    }

    pub fn insert(&mut self, seconds: u64) {
        self.merge(&DurationSketch { buckets: vec![(bucket_of(seconds), 1)] });
    }

    /// How many values it holds.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.1).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The buckets, by index: (index, count), no zero counts.
    pub fn buckets(&self) -> &[(u32, u64)] {
        &self.buckets
    }

    /// A sketch of given buckets; `None` unless they are by rising index
    /// with no zero count (as [`buckets`](Self::buckets) gives them).
    pub fn from_buckets(buckets: Vec<(u32, u64)>) -> Option<DurationSketch> {
        let ordered = buckets.windows(2).all(|w| w[0].0 < w[1].0) && buckets.iter().all(|b| b.1 > 0);
        ordered.then_some(DurationSketch { buckets })
    }

    /// [`from_buckets`](Self::from_buckets) for buckets the caller has
    /// checked already.
    pub(super) fn from_checked_buckets(buckets: Vec<(u32, u64)>) -> DurationSketch {
        debug_assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0) && buckets.iter().all(|b| b.1 > 0));
        DurationSketch { buckets }
    }

    /// The sum of many sketches in one pass over each (a count per bucket),
    /// where merging them one by one would copy the growing total each time.
    pub fn sum<'a>(sketches: impl IntoIterator<Item = &'a DurationSketch>) -> DurationSketch {
        let mut sketches = sketches.into_iter().filter(|s| !s.is_empty()).peekable();
        let Some(first) = sketches.next() else { return DurationSketch::default() };
        if sketches.peek().is_none() {
            return first.clone();
        }
        let all: Vec<&DurationSketch> = std::iter::once(first).chain(sketches).collect();
        // Every bucket from the lowest to the highest any of them holds, allocated once.
        let low = all.iter().filter_map(|s| s.buckets.first()).map(|b| b.0).min().unwrap_or(0);
        let high = all.iter().filter_map(|s| s.buckets.last()).map(|b| b.0).max().unwrap_or(0);
        let mut dense = vec![0u64; (high - low) as usize + 1];
        for s in all {
            for &(i, n) in &s.buckets {
                let slot = &mut dense[(i - low) as usize];
                *slot = slot.saturating_add(n);
            }
        }
        DurationSketch { buckets: dense.into_iter().enumerate().filter(|(_, n)| *n > 0).map(|(i, n)| (low + i as u32, n)).collect() }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &DurationSketch) {
        if other.buckets.is_empty() {
            return;
        }
        if self.buckets.is_empty() {
            self.buckets.clone_from(&other.buckets);
            return;
        }
        let (a, b) = (&self.buckets, &other.buckets);
        let mut out = Vec::with_capacity(a.len().max(b.len()));
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => {
                    out.push(a[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(b[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push((a[i].0, a[i].1.saturating_add(b[j].1)));
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[j..]);
        self.buckets = out;
    }

    /// Takes every value of `other` back out; refuses, changing nothing, if
    /// `other` holds a value this sketch does not.
    pub fn subtract(&mut self, other: &DurationSketch, what: &'static str) -> Result<(), Underflow> {
        let mut out = Vec::with_capacity(self.buckets.len());
        let mut theirs = other.buckets.iter().peekable();
        for &(i, n) in &self.buckets {
            let mut left = n;
            if let Some(&&(k, m)) = theirs.peek() {
                if k < i {
                    return Err(Underflow(what));
                }
                if k == i {
                    left = n.checked_sub(m).ok_or(Underflow(what))?;
                    theirs.next();
                }
            }
            if left > 0 {
                out.push((i, left));
            }
        }
        if theirs.next().is_some() {
            return Err(Underflow(what));
        }
        self.buckets = out;
        Ok(())
    }

    /// The `p`th percentile (1 to 100) by the nearest-rank definition: the
    /// value at rank `ceil(p/100 · n)` of the sorted values — for n = 4 the
    /// median is the 2nd value. Within the module's error bound; `None` when
    /// empty.
    pub fn percentile(&self, p: u32) -> Option<u64> {
        self.percentile_of(self.count(), p)
    }

    /// [`percentile`](Self::percentile) given the sketch's [`count`](Self::count).
    pub(super) fn percentile_of(&self, n: u64, p: u32) -> Option<u64> {
        if n == 0 {
            return None;
        }
        let p = u64::from(p.clamp(1, 100));
        let rank = (n * p).div_ceil(100).max(1);
        let mut seen = 0;
        for &(i, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                return Some(representative(i));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact nearest-rank percentile of `values`.
    fn exact(values: &mut [u64], p: u64) -> u64 {
        values.sort_unstable();
        let rank = (values.len() as u64 * p).div_ceil(100).max(1);
        values[rank as usize - 1]
    }

    #[test]
    fn buckets_tile_the_line_without_gaps() {
        let mut previous_end = 0;
        for i in 0..1500 {
            let (lo, width) = bounds(i);
            assert_eq!(lo, previous_end, "bucket {i} starts where {} ends", i.saturating_sub(1));
            assert_eq!(bucket_of(lo), i);
            assert_eq!(bucket_of(lo + width - 1), i);
            previous_end = lo + width;
        }
        assert_eq!(bounds(bucket_of(u64::MAX)).0 + (bounds(bucket_of(u64::MAX)).1 - 1), u64::MAX);
    }

    #[test]
    fn small_values_are_exact_and_large_ones_within_one_in_128() {
        for v in [0, 1, 59, 127] {
            assert_eq!(DurationSketch::of([v]).percentile(50), Some(v));
        }
        // 7,200 s (two hours) lies in [7,168, 7,232): answered with 7,199.
        assert_eq!(DurationSketch::of([7_200]).percentile(50), Some(7_199));
        for v in [128, 1_000, 7_200, 86_400, 324_000, 31_536_000, 987_654_321] {
            let got = DurationSketch::of([v]).percentile(90).unwrap();
            assert!(got.abs_diff(v) * 128 <= v, "{v} answered as {got}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank_within_the_bound() {
        // Ten values; the median is rank ceil(0.5·10) = 5, p90 rank ceil(0.9·10) = 9.
        let mut values = vec![30, 10, 50, 20, 40, 100, 90, 60, 80, 70];
        let s = DurationSketch::of(values.iter().copied());
        assert_eq!(s.percentile(50), Some(50));
        assert_eq!(s.percentile(90), Some(90));
        assert_eq!(exact(&mut values, 90), 90);
        // A spread of large values: every answer within 1/128 of the exact one.
        let mut big: Vec<u64> = (1..=1000u64).map(|k| k * k * 37 + 11).collect();
        let s = DurationSketch::of(big.iter().copied());
        for p in [1, 10, 25, 50, 75, 90, 99, 100] {
            let (got, want) = (s.percentile(p as u32).unwrap(), exact(&mut big, p));
            assert!(got.abs_diff(want) * 128 <= want, "p{p}: {got} against {want}");
        }
        assert_eq!(DurationSketch::new().percentile(50), None);
    }

    #[test]
    fn a_sum_equals_merging_one_by_one() {
        let parts = [DurationSketch::of([5, 500, 50_000]), DurationSketch::default(), DurationSketch::of([500, 7, 5_000_000]), DurationSketch::of([7])];
        let mut one_by_one = DurationSketch::default();
        parts.iter().for_each(|p| one_by_one.merge(p));
        assert_eq!(DurationSketch::sum(&parts), one_by_one);
        assert_eq!(DurationSketch::sum(&parts).count(), 7);
        assert_eq!(DurationSketch::sum(&[]), DurationSketch::default());
    }

    #[test]
    fn merge_then_subtract_gives_back_the_original() {
        let base = DurationSketch::of([5, 500, 50_000, 5_000_000]);
        let extra = DurationSketch::of([500, 7, 123_456]);
        let mut s = base.clone();
        s.merge(&extra);
        assert_eq!(s.count(), 7);
        s.subtract(&extra, "test").unwrap();
        assert_eq!(s, base);
        // Taking out what is not there is refused and changes nothing.
        assert_eq!(s.subtract(&DurationSketch::of([9]), "lag"), Err(Underflow("lag")));
        assert_eq!(s, base);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<DurationSketch>(&json).unwrap(), base);
    }
}
