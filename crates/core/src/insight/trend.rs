//! Week-over-week change per service area, channel or category, and which
//! rises are worth a problem record.
//!
//! Cases arrive as counts in two equal windows (the seven days ending on
//! the period's last day, and the seven before). Under "nothing changed"
//! both counts are Poisson with the same rate, and then, given their total
//! n, this week's count is Binomial(n, ½). The test is that **exact
//! conditional binomial test of two Poisson counts** (Przyborowski and
//! Wilenski), one-sided for an increase: p = P(X ≥ this week) for X ~
//! Binomial(this + last, ½). It is exact at the small counts a single
//! category has, where a z-test misleads; the z-score
//! (this − last)/√(this + last) is reported beside it for display.
//!
//! A key is a *candidate problem* when the increase is significant (p below
//! [`RisingRule::alpha`], 1 % by default) and this week has at least
//! [`RisingRule::min_count`] cases (5): three cases after one is not a
//! trend. Each key is tested on its own; with many keys a few false alarms
//! at 1 % are expected, which is why the threshold is strict.

use crate::case::Channel;
use crate::{CategoryId, ServiceAreaId};
use serde::Serialize;

/// What a trend is counted over.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(tag = "dimension", rename_all = "snake_case")]
pub enum TrendKey {
    /// Cases of one service area (`null`: cases with none).
    ServiceArea { service_area_id: Option<ServiceAreaId> },
    /// Cases that arrived on one channel.
    Channel { channel: Channel },
    /// Cases of one category.
    Category { category_id: CategoryId },
}

/// When a rise is a candidate problem.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RisingRule {
    /// Largest one-sided p-value that counts as significant.
    pub alpha: f64,
    /// Fewest cases this week for a rise to count.
    pub min_count: u64,
}

impl Default for RisingRule {
    fn default() -> Self {
        RisingRule { alpha: 0.01, min_count: 5 }
    }
}

/// One key's week-over-week change and its significance.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Trend {
    pub key: TrendKey,
    /// Cases reported in the seven days before `this_week`'s seven.
    pub last_week: u64,
    /// Cases reported in the seven days ending on the period's last day.
    pub this_week: u64,
    /// `this_week − last_week`.
    pub change: i64,
    /// `(this_week − last_week) / last_week`; `null` when `last_week` is 0.
    pub change_ratio: Option<f64>,
    /// `(this_week − last_week) / √(this_week + last_week)`: the normal
    /// approximation of the test's statistic, for display; 0 when both are 0.
    pub z: f64,
    /// One-sided p-value of the exact conditional binomial test for an
    /// increase: P(X ≥ this_week) for X ~ Binomial(this_week + last_week, ½).
    pub p_value: f64,
    /// A candidate problem: `p_value` below α (0.01) and `this_week` at least
    /// the minimum count (5).
    pub rising: bool,
}

/// The week-over-week change of `key` from `last_week` to `this_week` cases.
pub fn compare(key: TrendKey, last_week: u64, this_week: u64, rule: &RisingRule) -> Trend {
    let n = last_week + this_week;
    let p_value = binomial_upper_tail(n, this_week);
    let z = if n == 0 { 0.0 } else { (this_week as f64 - last_week as f64) / (n as f64).sqrt() };
    Trend {
        key,
        last_week,
        this_week,
        change: this_week as i64 - last_week as i64,
        change_ratio: (last_week > 0).then(|| (this_week as f64 - last_week as f64) / last_week as f64),
        z,
        p_value,
        rising: this_week > last_week && this_week >= rule.min_count && p_value < rule.alpha,
    }
}

/// The rising trends, most significant first.
pub fn candidates(trends: &[Trend]) -> Vec<&Trend> {
    let mut rising: Vec<&Trend> = trends.iter().filter(|t| t.rising).collect();
    rising.sort_by(|a, b| a.p_value.total_cmp(&b.p_value).then_with(|| a.key.cmp(&b.key)));
    rising
}

/// ln(n!): summed exactly below 1024, Stirling's series (error below
/// 1/(1680 n⁷)) above.
fn ln_factorial(n: u64) -> f64 {
    if n < 1024 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x) - 1.0 / (360.0 * x.powi(3)) + 1.0 / (1260.0 * x.powi(5))
}

/// P(X = k) for X ~ Binomial(n, ½), through logarithms so large n do not overflow.
fn pmf(n: u64, k: u64) -> f64 {
    (ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k) - n as f64 * std::f64::consts::LN_2).exp()
}

/// P(X ≥ k) for X ~ Binomial(n, ½). Sums the tail that lies away from the
/// mean, whose terms shrink geometrically, and stops once they no longer
/// change the sum.
fn binomial_upper_tail(n: u64, k: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    if 2 * k >= n {
        // Upward from k: pmf(j+1) = pmf(j)·(n−j)/(j+1).
        let (mut term, mut total, mut j) = (pmf(n, k), 0.0, k);
        loop {
            total += term;
            if j == n || term < total * 1e-17 {
                break;
            }
            term *= (n - j) as f64 / (j + 1) as f64;
            j += 1;
        }
        total.min(1.0)
    } else {
        // 1 − P(X ≤ k−1), downward from k−1: pmf(j−1) = pmf(j)·j/(n−j+1).
        let (mut term, mut total, mut j) = (pmf(n, k - 1), 0.0, k - 1);
        loop {
            total += term;
            if j == 0 || term < total * 1e-17 {
                break;
            }
            term *= j as f64 / (n - j + 1) as f64;
            j -= 1;
        }
        (1.0 - total).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(id: i64) -> TrendKey {
        TrendKey::ServiceArea { service_area_id: Some(ServiceAreaId(id)) }
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1e-300)
    }

    #[test]
    fn tail_probabilities_by_hand() {
        // Bin(10, ½): P(X ≥ 10) = 1/2¹⁰ = 1/1024.
        assert!(close(binomial_upper_tail(10, 10), 1.0 / 1024.0, 1e-12));
        // Bin(14, ½): P(X ≥ 12) = (C(14,12) + C(14,13) + C(14,14)) / 2¹⁴ = (91 + 14 + 1) / 16384.
        assert!(close(binomial_upper_tail(14, 12), 106.0 / 16384.0, 1e-12));
        // Bin(21, ½) is symmetric about 10.5, so P(X ≥ 11) = ½ exactly.
        assert!(close(binomial_upper_tail(21, 11), 0.5, 1e-12));
        // Bin(4, ½): P(X ≥ 1) = 1 − 1/16 = 15/16 (the lower-tail path).
        assert!(close(binomial_upper_tail(4, 1), 15.0 / 16.0, 1e-12));
        assert_eq!(binomial_upper_tail(0, 0), 1.0);
        assert_eq!(binomial_upper_tail(3, 4), 0.0);
    }

    #[test]
    fn large_counts_agree_with_the_normal_approximation() {
        // 10,000 → 10,500: z with continuity correction = 499.5/√20500 = 3.4887,
        // whose one-sided normal tail is 2.43e-4.
        let t = compare(area(1), 10_000, 10_500, &RisingRule::default());
        assert!(close(t.p_value, 2.43e-4, 0.03), "p = {}", t.p_value);
        assert!(close(t.z, 500.0 / 20_500f64.sqrt(), 1e-12));
        assert!(t.rising);
        // And the Stirling branch of ln n! meets the exact sum at 1024.
        let exact: f64 = (2..=1024u64).map(|i| (i as f64).ln()).sum();
        assert!(close(ln_factorial(1024), exact, 1e-12));
    }

    #[test]
    fn a_rising_category_is_a_candidate_and_a_flat_one_is_not() {
        let rule = RisingRule::default();
        let damaged = TrendKey::Category { category_id: CategoryId(1) };
        let billing = TrendKey::Category { category_id: CategoryId(2) };
        // 2 → 12: p = 106/16384 = 0.0065 < 0.01 and 12 ≥ 5: rising.
        let rising = compare(damaged.clone(), 2, 12, &rule);
        assert!(rising.rising);
        assert_eq!((rising.change, rising.change_ratio), (10, Some(5.0)));
        // 10 → 11: p = ½: flat.
        let flat = compare(billing, 10, 11, &rule);
        assert!(!flat.rising);
        assert!(close(flat.p_value, 0.5, 1e-12));
        // 20 → 5 falls: p = P(X ≥ 5 | n = 25) ≈ 0.9995, not rising.
        let falling = compare(area(3), 20, 5, &rule);
        assert!(!falling.rising && falling.p_value > 0.99);
        // 0 → 7: p = 1/128 = 0.0078, but with a minimum of 10 cases it is not a trend.
        let few = compare(area(4), 0, 7, &RisingRule { min_count: 10, ..rule });
        assert!(!few.rising && close(few.p_value, 1.0 / 128.0, 1e-12));
        assert_eq!(few.change_ratio, None);
        let all = [flat, rising.clone(), falling, few];
        assert_eq!(candidates(&all), vec![&rising]);
    }
}
