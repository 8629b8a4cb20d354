//! Voice bridge (dial-in conference number) candidates for a meeting.

use rand::{rngs::StdRng, Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// How voice bridges are allocated (VOICE_BRIDGE_LEN, USE_EXTERNAL_VOICE_BRIDGE).
#[derive(Debug, Clone)]
pub struct BridgePolicy {
    pub len: usize,
    pub use_external: bool,
}

/// Scalelite gives up after this many taken numbers.
pub const MAX_TRIES: usize = 10;

/// BBB's default test conference; never handed out.
const RESERVED: &str = "99999";

impl BridgePolicy {
    /// The numbers to try, in order. Seeded from the meeting id, so re-creating a meeting
    /// usually gets the same number back. A reserved number still uses up a try.
    pub fn candidates(&self, meeting_id: &str, requested: Option<&str>) -> Vec<Option<String>> {
        let seed: [u8; 32] = Sha256::digest(meeting_id.as_bytes()).into();
        let mut rng = StdRng::from_seed(seed);
        let mut out = Vec::with_capacity(MAX_TRIES);
        let external = requested
            .filter(|r| self.use_external && !r.trim().is_empty())
            .map(String::from);
        if let Some(r) = external {
            out.push(Some(r));
        }
        while out.len() < MAX_TRIES {
            let mut n = String::with_capacity(self.len);
            n.push(char::from(b'0' + rng.gen_range(1..=9u8)));
            for _ in 1..self.len {
                n.push(char::from(b'0' + rng.gen_range(0..=9u8)));
            }
            out.push((n != RESERVED).then_some(n));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let p = BridgePolicy {
            len: 9,
            use_external: false,
        };
        let a = p.candidates("m", Some("123"));
        assert_eq!(a, p.candidates("m", None));
        assert_eq!(a.len(), MAX_TRIES);
        for n in a.iter().flatten() {
            assert_eq!(n.len(), 9);
            assert!(!n.starts_with('0'));
        }
        let ext = BridgePolicy {
            len: 9,
            use_external: true,
        };
        assert_eq!(ext.candidates("m", Some("123"))[0].as_deref(), Some("123"));
    }
}
