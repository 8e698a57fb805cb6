//! Passwords: at least 12 characters, not guessable (zxcvbn's lists of breached and common
//! passwords, names and keyboard patterns), stored only as argon2id hashes.

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use zxcvbn::{Score, zxcvbn};

pub const MIN_LENGTH: usize = 12;

/// A password that passed the policy. Only [`Password::check`] makes one.
pub struct Password(String);

impl Password {
    /// Checks the policy; `context` holds words a guesser would try first (e-mail, name).
    pub fn check(candidate: &str, context: &[&str]) -> Result<Password, String> {
        if candidate.chars().count() < MIN_LENGTH {
            return Err(format!(
                "Use at least {MIN_LENGTH} characters; a short sentence is easy to remember."
            ));
        }
        if candidate.chars().count() > 256 {
            return Err("Use at most 256 characters.".into());
        }
        // Guessers try the pieces of an address or name first: "anna", "schmidt".
        let lowered = candidate.to_lowercase();
        let personal = context
            .iter()
            .flat_map(|c| c.split(|ch: char| !ch.is_alphanumeric()))
            .filter(|piece| piece.chars().count() >= 4)
            .any(|piece| lowered.contains(&piece.to_lowercase()));
        if personal {
            return Err("Leave your name and e-mail address out of your password.".into());
        }
        let words: Vec<&str> = context.to_vec();
        let estimate = zxcvbn(candidate, &words);
        if estimate.score() < Score::Three {
            let why = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| format!("{w} "))
                .unwrap_or_default();
            return Err(format!(
                "This password is too easy to guess. {why}Add a few uncommon words, or make it \
                 longer."
            ));
        }
        Ok(Password(candidate.to_owned()))
    }

    /// An argon2id hash with a fresh salt, in PHC string format.
    pub fn hash(&self) -> String {
        hash_text(&self.0)
    }
}

fn hash_text(text: &str) -> String {
    let mut salt_bytes = [0_u8; 16];
    getrandom::fill(&mut salt_bytes).expect("the operating system's random source is available");
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(text.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

/// True when `candidate` matches the stored hash. Blocks for the hash's time: request handlers
/// use [`check`].
pub fn verify(candidate: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(candidate.as_bytes(), &hash)
            .is_ok()
    })
}

/// Argon2 spends tens of milliseconds of CPU and 19 MiB per check. Checks run on blocking
/// threads, at most one per core at a time: a burst of sign-ins neither stalls the async workers
/// serving everyone else nor holds a 19 MiB block per waiting request.
static CHECKS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// [`verify`] off the async workers; `None` as the hash spends the time of a real check
/// ([`verify_against_nothing`]) and answers false.
pub async fn check(candidate: &str, stored_hash: Option<&str>) -> bool {
    let _turn = CHECKS
        .acquire()
        .await
        .expect("the password check semaphore is never closed");
    let candidate = candidate.to_owned();
    let stored_hash = stored_hash.map(str::to_owned);
    tokio::task::spawn_blocking(move || match stored_hash {
        Some(hash) => verify(&candidate, &hash),
        None => {
            verify_against_nothing(&candidate);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Spends the same time as a real check, so an unknown e-mail answers as slowly as a known one.
fn verify_against_nothing(candidate: &str) {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_text("portico timing equaliser"));
    let _ = verify(candidate, &DUMMY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused_with_a_reason() {
        let short = Password::check("Tr0ub4dor&3", &[]).err().unwrap();
        assert!(short.contains("at least 12 characters"), "{short}");
        for common in [
            "password1234",
            "qwertyuiop123",
            "123456789012",
            "iloveyou2024!",
        ] {
            let refused = Password::check(common, &[]).err();
            assert!(refused.is_some(), "{common} was accepted");
        }
        let personal = Password::check("anna.schmidt2026", &["anna.schmidt@example.com"]);
        assert!(
            personal.is_err(),
            "a password made of the user's e-mail is refused"
        );
    }

    #[test]
    fn good_passwords_hash_and_verify() {
        let password = Password::check("copper kettle harbour 19", &[]).unwrap();
        let hash = password.hash();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("copper kettle harbour 19", &hash));
        assert!(!verify("copper kettle harbour 18", &hash));
        assert!(!verify("anything", "not a hash"));
    }
}
