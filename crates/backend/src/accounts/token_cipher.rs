//! Encryption at rest for Google refresh tokens. The cipher lives in `crate::domain::token_cipher` (the sync
//! engine decrypts too, and flows may not import each other); this path is kept for the accounts flows.

pub use crate::domain::token_cipher::*;
