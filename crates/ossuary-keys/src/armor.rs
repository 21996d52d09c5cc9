//! The armor lines of a secret key file. A leaf: it imports nothing of the
//! crate, so the parsers, the secret key file and the error messages can all
//! name them.

/// The first line of a secret key file.
pub(crate) const SECRET_KEY_BEGIN: &str = "-----BEGIN OSSUARY SECRET KEY-----";
/// The last line of a secret key file.
pub(crate) const SECRET_KEY_END: &str = "-----END OSSUARY SECRET KEY-----";
