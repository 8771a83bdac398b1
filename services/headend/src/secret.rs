//! Secrets: bearer tokens and device codes (256 random bits, base64url), their
//! SHA-256 hashes (all the database ever holds), and pairing codes people can read
//! aloud over the phone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// No 0/O, 1/I/L: a pairing code is read off a TV by an 80-year-old.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The OS random source failing is unrecoverable for a security service.
    getrandom::fill(&mut b).unwrap_or_else(|e| panic!("the OS random source failed: {e}"));
    b
}

/// A fresh 256-bit secret (token or device code).
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What is stored instead of the secret. Plain SHA-256 suffices: the secrets have
/// 256 bits of entropy, so there is nothing to brute-force (passwords, later, get
/// argon2).
pub fn hash(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// 「4K7-P2Q」: six characters from a 31-letter alphabet (~887 million codes).
pub fn new_user_code() -> String {
    let raw = random_bytes::<6>();
    let chars: String = raw
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..3], &chars[3..])
}

/// What an operator typed, made comparable: case, spaces and the dash don't matter,
/// and the look-alikes a person might type are mapped back.
pub fn normalise_user_code(typed: &str) -> Option<String> {
    let chars: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != 'ー' && *c != '－')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            c => c,
        })
        .collect();
    if chars.chars().count() != 6 || !chars.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &chars[..3], &chars[3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hash_stably() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), a);
    }

    #[test]
    fn user_codes_are_readable_and_normalised() {
        for _ in 0..200 {
            let c = new_user_code();
            assert_eq!(c.len(), 7);
            assert!(!c.contains(['0', 'O', '1', 'I', 'L']), "{c}");
            assert_eq!(
                normalise_user_code(&c.to_lowercase()).as_deref(),
                Some(c.as_str())
            );
        }
        assert_eq!(normalise_user_code(" 4k7 p2q ").as_deref(), Some("4K7-P2Q"));
        assert_eq!(normalise_user_code("4K7-P2"), None);
        assert_eq!(normalise_user_code("4K7-P2I"), None);
        assert_eq!(normalise_user_code("'; DROP TABLE boxes;--"), None);
    }
}
