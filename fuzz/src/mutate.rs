//! A seeded input mutator: corpus entries changed by stacked byte-level edits and splices with
//! format tokens, so every run is reproducible from its seed.
//!
//! Hand-written on purpose: coverage-guided engines (libFuzzer, AFL) need nightly or extra
//! tooling; this loop runs on stable in any `cargo` environment (see RELIABILITY.md). The
//! random generator is SplitMix64 (a few lines, no dependency).

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }
}

/// Longest input produced.
pub const MAX_LEN: usize = 8 << 10;

/// A new input: a corpus entry with 1–8 edits.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], tokens: &[&[u8]]) -> Vec<u8> {
    let mut data = corpus
        .get(rng.below(corpus.len()))
        .cloned()
        .unwrap_or_default();
    for _ in 0..1 + rng.below(8) {
        edit(rng, &mut data, corpus, tokens);
    }
    data.truncate(MAX_LEN);
    data
}

fn edit(rng: &mut Rng, data: &mut Vec<u8>, corpus: &[Vec<u8>], tokens: &[&[u8]]) {
    let len = data.len();
    match rng.below(10) {
        // Flip a bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Set a byte (interesting values half of the time).
        1 if len > 0 => {
            let i = rng.below(len);
            const INTERESTING: &[u8] = b"\0\xff\x7f\x80%./\\\"'<>{}[]:,=&?#\r\n ";
            data[i] = if rng.below(2) == 0 {
                INTERESTING[rng.below(INTERESTING.len())]
            } else {
                rng.next_u64() as u8
            };
        }
        // Delete a range.
        2 | 3 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(16)).min(len);
            data.drain(start..end);
        }
        // Insert a format token.
        4..=6 if !tokens.is_empty() => {
            let t = tokens[rng.below(tokens.len())];
            let at = rng.below(len + 1);
            data.splice(at..at, t.iter().copied());
        }
        // Duplicate a range (nesting, repetition).
        7 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64)).min(len);
            let piece: Vec<u8> = data[start..end].to_vec();
            let at = rng.below(len + 1);
            for _ in 0..1 + rng.below(4) {
                data.splice(at..at, piece.iter().copied());
            }
        }
        // Splice with another corpus entry.
        8 if !corpus.is_empty() => {
            let other = &corpus[rng.below(corpus.len())];
            if !other.is_empty() {
                let from = rng.below(other.len());
                let to = (from + 1 + rng.below(128)).min(other.len());
                let at = rng.below(len + 1);
                data.splice(at..at, other[from..to].iter().copied());
            }
        }
        // Truncate.
        _ => {
            if len > 0 {
                data.truncate(rng.below(len));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_inputs() {
        let corpus = vec![b"{\"a\":[1,2]}".to_vec()];
        let tokens: &[&[u8]] = &[b"[", b"\"x\""];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..100)
                .map(|_| mutate(&mut rng, &corpus, tokens))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert!(run(7).iter().all(|d| d.len() <= MAX_LEN));
    }
}
