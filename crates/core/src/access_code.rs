//! Survey access codes: the "password you were given".
//!
//! Twelve characters from Crockford's base-32 alphabet (no I, L, O or U, so
//! nothing looks like something else): 60 bits from the operating system's
//! random source, shown as `ABCD-EFGH-JKMN`. Reading is forgiving — any case,
//! spaces and dashes ignored, O read as 0 and I or L as 1 — and only a SHA-256
//! digest of the normalised code is stored. With 2^60 possible codes and
//! guessing rate-limited per client, a slow hash adds nothing.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LENGTH: usize = 12;

/// Bits of entropy in a code.
pub const ENTROPY_BITS: u32 = 60;

/// Turns 8 random bytes into a code (the top 4 bits are unused).
pub fn from_random(bytes: [u8; 8]) -> String {
    let mut n = u64::from_be_bytes(bytes);
    let mut chars = [0u8; LENGTH];
    for c in chars.iter_mut().rev() {
        *c = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    // The alphabet is ASCII, so these bytes are always UTF-8.
    let s = std::str::from_utf8(&chars).unwrap_or_default();
    format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}

/// The canonical form of what someone typed, or `None` if it cannot be a code.
pub fn normalize(input: &str) -> Option<String> {
    let mut out = String::with_capacity(LENGTH);
    for ch in input.chars() {
        let c = match ch.to_ascii_uppercase() {
            ' ' | '-' | '\t' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
        if out.len() > LENGTH {
            return None;
        }
    }
    (out.len() == LENGTH).then_some(out)
}

/// The stored digest of what someone typed, or `None` if it cannot be a code.
pub fn digest_of(input: &str) -> Option<String> {
    normalize(input).map(|n| digest(&n))
}

/// What is stored and looked up: the SHA-256 of the normalised code.
pub fn digest(normalized: &str) -> String {
    Sha256::digest(normalized.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typeable_and_forgiving() {
        let code = from_random([0xff, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(code.len(), 14);
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        let n = normalize(&code).unwrap();
        assert_eq!(normalize(&code.to_lowercase()).unwrap(), n);
        assert_eq!(normalize(&code.replace('-', " ")).unwrap(), n);
        assert_eq!(normalize("oooo-iiii-llll").unwrap(), "000011111111");
        assert_eq!(normalize("ABCD-EFGH-JKM"), None);
        assert_eq!(normalize("ABCD-EFGH-JKMNP"), None);
        assert_eq!(normalize("ABCD-EFGH-JKMU"), None);
        assert_eq!(normalize("ABCD-EFGH-JKM€"), None);
        assert_eq!(digest(&n).len(), 64);
    }

    #[test]
    fn different_randomness_gives_different_codes() {
        assert_ne!(from_random([0; 8]), from_random([0, 0, 0, 0, 0, 0, 0, 1]));
    }
}
