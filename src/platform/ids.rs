//! Identifiers: UUIDv7 for every row (unguessable, and time-ordered so indexes stay compact).

use uuid::Uuid;

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// 256 random bits as hex: session, CSRF, reset and invitation tokens.
pub fn random_token() -> String {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a token as hex: what the database keeps instead of the token itself.
pub fn token_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
