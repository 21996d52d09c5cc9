//! `ossuary keygen`, `ossuary pubkey` and `ossuary fingerprint`.

use ossuary_core::keys::{self, Fingerprint, PublicKeyLine};

use crate::cli::{FingerprintArgs, KeygenArgs, PubkeyArgs};
use crate::error::{Error, KeyUse};
use crate::{keyfiles, paths};

/// Writes a new key pair and prints where, its fingerprint and its public
/// key line.
///
/// # Errors
/// [`Error::Key`] if either file exists (nothing is overwritten) or cannot
/// be written; [`Error::NoHome`] without `-o` or a home directory.
pub(crate) fn keygen(args: &KeygenArgs) -> Result<(), Error> {
    let path = paths::identity(args.output.as_deref())?;
    paths::create_default_dir_for(&path)?;
    let (secret, public) = ossuary_core::generate_keypair().map_err(Error::Keygen)?;
    let line = keys::write_key_pair(&path, &secret, args.comment.as_deref()).map_err(|error| {
        Error::Key {
            what: KeyUse::Identity,
            error,
        }
    })?;
    println!("secret key:  {} (keep it private)", path.display());
    println!("public key:  {}", keys::public_key_path(&path).display());
    println!("fingerprint: {}", Fingerprint::of(&public));
    println!("{line}");
    Ok(())
}

/// Prints the public key line of a secret key file, with the comment of
/// the `.pub` file beside it when that holds the same key.
///
/// # Errors
/// [`Error::Key`]: missing, unreadable, loose permissions, not a secret key.
pub(crate) fn pubkey(args: &PubkeyArgs) -> Result<(), Error> {
    let path = paths::identity(args.file.as_deref())?;
    let key = keyfiles::identity(&path)?.public_key();
    let line = keys::read_public_key(keys::public_key_path(&path))
        .ok()
        .filter(|line| *line.key() == key)
        .unwrap_or_else(|| PublicKeyLine::new(key));
    println!("{line}");
    Ok(())
}

/// Prints the fingerprint of each key in the argument, with its hosts or
/// comment.
///
/// # Errors
/// As [`keyfiles::describe`].
pub(crate) fn fingerprint(args: &FingerprintArgs) -> Result<(), Error> {
    for key in keyfiles::describe(&args.key)? {
        match key.note {
            Some(note) => println!("{} {note}", key.fingerprint),
            None => println!("{}", key.fingerprint),
        }
    }
    Ok(())
}
