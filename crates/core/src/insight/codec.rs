//! A compact binary form of a [`Rollup`], for the summaries a dashboard
//! reads by the hundred: a version byte, then every field in a fixed order
//! as LEB128 varints (sums zigzag-encoded), a sketch as its bucket count
//! and (index step, count) pairs. A week's summary that takes 30 kB as JSON
//! takes about 3 kB here, and decodes without parsing text.

use super::loyalty::LoyaltyTally;
use super::rollup::{MetTotal, Rollup};
use super::sketch::DurationSketch;

const VERSION: u8 = 1;

/// Bytes that are not a rollup written by [`Rollup::encode`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stored rollup bytes are unreadable: {0}")]
pub struct DecodeError(&'static str);

struct Writer(Vec<u8>);

impl Writer {
    fn u(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }

    fn all(&mut self, vs: &[u64]) {
        vs.iter().for_each(|v| self.u(*v));
    }

    fn met(&mut self, m: &MetTotal) {
        self.all(&[m.met, m.total]);
    }

    fn sketch(&mut self, s: &DurationSketch) {
        self.u(s.buckets().len() as u64);
        let mut last = 0u32;
        for &(i, n) in s.buckets() {
            self.u(u64::from(i - last));
            self.u(n);
            last = i;
        }
    }

    fn tally(&mut self, t: &LoyaltyTally) {
        self.all(&[t.customers, t.returned, t.responses]);
        self.all(&t.ratings);
        self.all(&t.nps);
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    /// A varint; most of a sketch's are one byte (steps of one, small counts).
    #[inline]
    fn u(&mut self) -> Result<u64, DecodeError> {
        match self.0 {
            [b, rest @ ..] if *b < 0x80 => {
                self.0 = rest;
                Ok(u64::from(*b))
            }
            _ => self.u_long(),
        }
    }

    fn u_long(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first().ok_or(DecodeError("cut short"))?;
            self.0 = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError("a number is too long"))
    }

    fn i(&mut self) -> Result<i64, DecodeError> {
        let z = self.u()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    fn array<const N: usize>(&mut self) -> Result<[u64; N], DecodeError> {
        let mut a = [0; N];
        for x in &mut a {
            *x = self.u()?;
        }
        Ok(a)
    }

    fn met(&mut self) -> Result<MetTotal, DecodeError> {
        Ok(MetTotal { met: self.u()?, total: self.u()? })
    }

    fn sketch(&mut self) -> Result<DurationSketch, DecodeError> {
        let len = self.u()?;
        if len > self.0.len() as u64 {
            return Err(DecodeError("a sketch is longer than the bytes"));
        }
        let mut buckets = Vec::with_capacity(len as usize);
        let mut at = 0u32;
        for k in 0..len {
            // Most pairs are two one-byte numbers: a step of one, a small count.
            let (step, n) = match self.0 {
                [s, n, rest @ ..] if *s < 0x80 && *n < 0x80 => {
                    self.0 = rest;
                    (u32::from(*s), u64::from(*n))
                }
                _ => (u32::try_from(self.u()?).map_err(|_| DecodeError("a bucket is out of range"))?, self.u()?),
            };
            at = at.checked_add(step).ok_or(DecodeError("a bucket is out of range"))?;
            if k > 0 && step == 0 {
                return Err(DecodeError("buckets repeat"));
            }
            if n == 0 {
                return Err(DecodeError("a sketch has an empty bucket"));
            }
            buckets.push((at, n));
        }
        // Rising (every step after the first is positive) with no empty bucket, as checked.
        Ok(DurationSketch::from_checked_buckets(buckets))
    }

    /// The next sketch, or passes over it (left empty) unless `keep`.
    fn sketch_if(&mut self, keep: bool) -> Result<DurationSketch, DecodeError> {
        if keep {
            return self.sketch();
        }
        // (index step, count) pairs; each number ends on its one byte without the high bit.
        let numbers = self.u()?.checked_mul(2).ok_or(DecodeError("a sketch is longer than the bytes"))?;
        if numbers > 0 {
            let mut seen = 0;
            let last = self.0.iter().position(|&b| {
                seen += u64::from(b < 0x80);
                seen == numbers
            });
            self.0 = &self.0[last.ok_or(DecodeError("cut short"))? + 1..];
        }
        Ok(DurationSketch::default())
    }

    fn tally(&mut self) -> Result<LoyaltyTally, DecodeError> {
        Ok(LoyaltyTally { customers: self.u()?, returned: self.u()?, responses: self.u()?, ratings: self.array()?, nps: self.array()? })
    }
}

impl DurationSketch {
    /// The compact binary form of the sketch alone; [`DurationSketch::decode`] reads it back.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(vec![VERSION]);
        w.sketch(self);
        w.0
    }

    /// Reads the form [`DurationSketch::encode`] writes.
    pub fn decode(bytes: &[u8]) -> Result<DurationSketch, DecodeError> {
        Reader::whole(bytes, |r| r.sketch())
    }
}

impl Rollup {
    /// The compact binary form; [`Rollup::decode`] reads it back.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(64));
        w.0.push(VERSION);
        w.u(self.cases);
        for s in [&self.identification_lag, &self.first_response_business, &self.first_response_calendar, &self.resolution_business, &self.resolution_calendar] {
            w.sketch(s);
        }
        for m in [&self.first_response_target, &self.resolution_target, &self.follow_up_target] {
            w.met(m);
        }
        w.all(&[self.transfers, self.flagged, self.reopened_cases, self.reopens, self.remedies]);
        w.i(self.remedy_cost_scaled);
        w.u(self.gifts);
        w.i(self.gift_cost_scaled);
        w.u(self.recoveries);
        w.i(self.recovery_change_sum);
        w.all(&[self.recoveries_improved, self.responses]);
        w.all(&self.ratings);
        w.all(&self.nps);
        w.all(&[self.invitations, self.invitations_answered, self.loyalty_complainants]);
        w.tally(&self.loyalty_resolved);
        w.tally(&self.loyalty_never);
        w.0
    }

    /// Reads the form [`Rollup::encode`] writes.
    pub fn decode(bytes: &[u8]) -> Result<Rollup, DecodeError> {
        Reader::whole(bytes, |r| r.rollup(true))
    }

    /// The same as [`weekly_part`](Self::weekly_part)`(decode(bytes))`,
    /// but the sketches left out are passed over, never built: a week's row
    /// for the chart alone costs two sketches, not five.
    pub fn decode_for_weekly(bytes: &[u8]) -> Result<Rollup, DecodeError> {
        Reader::whole(bytes, |r| r.rollup(false))
    }

    /// The rollup without the sketches a weekly point does not read: the
    /// identification lag and the calendar times.
    pub fn weekly_part(&self) -> Rollup {
        Rollup {
            identification_lag: DurationSketch::default(),
            first_response_calendar: DurationSketch::default(),
            resolution_calendar: DurationSketch::default(),
            first_response_business: self.first_response_business.clone(),
            resolution_business: self.resolution_business.clone(),
            ..*self
        }
    }
}

impl Reader<'_> {
    /// What `read` reads from the bytes after the version, which must be all of them.
    fn whole<'a, T>(bytes: &'a [u8], read: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>) -> Result<T, DecodeError> {
        let (&version, rest) = bytes.split_first().ok_or(DecodeError("empty"))?;
        if version != VERSION {
            return Err(DecodeError("unknown version"));
        }
        let mut r = Reader(rest);
        let value = read(&mut r)?;
        if !r.0.is_empty() {
            return Err(DecodeError("bytes left over"));
        }
        Ok(value)
    }

    /// A rollup; `all`: every sketch, else those a weekly point reads.
    fn rollup(&mut self, all: bool) -> Result<Rollup, DecodeError> {
        let r = self;
        Ok(Rollup {
            cases: r.u()?,
            identification_lag: r.sketch_if(all)?,
            first_response_business: r.sketch()?,
            first_response_calendar: r.sketch_if(all)?,
            resolution_business: r.sketch()?,
            resolution_calendar: r.sketch_if(all)?,
            first_response_target: r.met()?,
            resolution_target: r.met()?,
            follow_up_target: r.met()?,
            transfers: r.u()?,
            flagged: r.u()?,
            reopened_cases: r.u()?,
            reopens: r.u()?,
            remedies: r.u()?,
            remedy_cost_scaled: r.i()?,
            gifts: r.u()?,
            gift_cost_scaled: r.i()?,
            recoveries: r.u()?,
            recovery_change_sum: r.i()?,
            recoveries_improved: r.u()?,
            responses: r.u()?,
            ratings: r.array()?,
            nps: r.array()?,
            invitations: r.u()?,
            invitations_answered: r.u()?,
            loyalty_complainants: r.u()?,
            loyalty_resolved: r.tally()?,
            loyalty_never: r.tally()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(k: u64) -> LoyaltyTally {
        LoyaltyTally { customers: k, returned: k + 1, responses: k + 2, ratings: [k, 0, 1, 2, 3], nps: [k; 11] }
    }

    /// Every field set (a struct literal, so a new field must be added here).
    fn full() -> Rollup {
        Rollup {
            cases: 3,
            identification_lag: DurationSketch::of([0, 5, 5, 127, 128, 86_400]),
            first_response_business: DurationSketch::of([3_600]),
            first_response_calendar: DurationSketch::of([7_200, 1]),
            resolution_business: DurationSketch::of([u64::MAX]),
            resolution_calendar: DurationSketch::of([987_654_321]),
            first_response_target: MetTotal { met: 1, total: 2 },
            resolution_target: MetTotal { met: 3, total: 4 },
            follow_up_target: MetTotal { met: 5, total: 6 },
            transfers: 7,
            flagged: 8,
            reopened_cases: 9,
            reopens: 10,
            remedies: 11,
            remedy_cost_scaled: 1_234_567,
            gifts: 12,
            gift_cost_scaled: -5,
            recoveries: 13,
            recovery_change_sum: -42,
            recoveries_improved: 14,
            responses: 300,
            ratings: [1, 2, 3, 4, u64::MAX],
            nps: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            invitations: 400,
            invitations_answered: 301,
            loyalty_complainants: 15,
            loyalty_resolved: tally(16),
            loyalty_never: tally(17),
        }
    }

    #[test]
    fn every_field_round_trips() {
        for r in [Rollup::default(), full()] {
            assert_eq!(Rollup::decode(&r.encode()), Ok(r.clone()));
            assert_eq!(DurationSketch::decode(&r.identification_lag.encode()), Ok(r.identification_lag));
        }
        let weekly = full().weekly_part();
        assert!(weekly.identification_lag.is_empty() && weekly.first_response_calendar.is_empty() && weekly.resolution_calendar.is_empty());
        assert_eq!(weekly.resolution_business, full().resolution_business);
        assert_eq!(Rollup::decode_for_weekly(&full().encode()), Ok(weekly), "all but the three sketches");
        assert_eq!(Rollup::decode_for_weekly(&Rollup::default().encode()), Ok(Rollup::default()));
        let json = serde_json::to_string(&full()).unwrap();
        assert!(full().encode().len() * 2 < json.len(), "{} bytes against {} of JSON", full().encode().len(), json.len());
    }

    #[test]
    fn damaged_bytes_are_refused_never_misread() {
        let bytes = full().encode();
        assert!(Rollup::decode(&[]).is_err());
        assert!(Rollup::decode(&[2]).is_err(), "an unknown version");
        assert!(Rollup::decode(&bytes[..bytes.len() - 1]).is_err(), "cut short");
        assert!(Rollup::decode(&[bytes.as_slice(), &[0]].concat()).is_err(), "bytes left over");
        // Every prefix and every single-byte change either fails or reads as some rollup: no panic.
        for n in 0..bytes.len() {
            let _ = Rollup::decode(&bytes[..n]);
            let mut changed = bytes.clone();
            changed[n] ^= 0xff;
            let _ = Rollup::decode(&changed);
            let _ = Rollup::decode_for_weekly(&bytes[..n]);
            let _ = Rollup::decode_for_weekly(&changed);
        }
        assert!(Rollup::decode_for_weekly(&bytes[..bytes.len() - 1]).is_err(), "cut short");
    }
}
