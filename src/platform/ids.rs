//! Identifiers: UUIDv7 for every row (unguessable, and time-ordered so indexes stay compact).

use uuid::Uuid;

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
