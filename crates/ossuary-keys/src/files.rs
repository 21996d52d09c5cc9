//! The file operations behind the convenience functions: reading, creating
//! without overwriting, appending, and the secret key file's permissions.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::Error;

/// The largest secret key file read: far more than the 116 bytes of one.
pub(crate) const MAX_SECRET_FILE: usize = 64 * 1024;

/// Reads a whole file.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|e| Error::io(path, &e))
}

/// Reads a secret key file into a buffer that is wiped on drop, after
/// checking (on Unix) that neither group nor others have any access to it.
///
/// Returns at most `MAX_SECRET_FILE + 1` bytes, so that a caller can tell a
/// larger file. The buffer is allocated once, so no copy is left behind by a
/// reallocation.
pub(crate) fn read_secret(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut file = File::open(path).map_err(|e| Error::io(path, &e))?;
    check_private(path, &file)?;
    let mut buf = Zeroizing::new(vec![0u8; MAX_SECRET_FILE + 1]);
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, &e)),
        }
    }
    // Shrinking in place keeps the allocation; the dropped tail is zeros.
    buf.truncate(filled);
    Ok(buf)
}

/// Refuses a secret key file that its group or others can access in any way
/// (the mode of the open file, so it cannot change between check and read).
#[cfg(unix)]
fn check_private(path: &Path, file: &File) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = file.metadata().map_err(|e| Error::io(path, &e))?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(Error::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// No permission check outside Unix (see the crate docs).
#[cfg(not(unix))]
fn check_private(_path: &Path, _file: &File) -> Result<(), Error> {
    Ok(())
}

/// Creates `path` (failing if it exists, without following a symbolic link
/// there) with `mode` on Unix, and writes `contents`. On a failure after
/// creating it, the file is removed again.
pub(crate) fn create_new(path: &Path, mode: u32, contents: &[u8]) -> Result<(), Error> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| Error::io(path, &e))?;
    if let Err(e) = file.write_all(contents).and_then(|()| file.sync_all()) {
        drop(file);
        // Best effort: the write error is the one to report.
        let _ = fs::remove_file(path);
        return Err(Error::io(path, &e));
    }
    Ok(())
}

/// Appends `line` and a line ending to `path`, creating it (mode 0644 on
/// Unix) if missing; if the file does not end with a line ending, one is
/// written first. Existing bytes are never rewritten: the file is opened in
/// append mode and the line goes out in one write.
pub(crate) fn append_line(path: &Path, line: &str) -> Result<(), Error> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o644);
    }
    let io = |e: std::io::Error| Error::io(path, &e);
    let mut file = options.open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut text = String::with_capacity(line.len() + 2);
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::End(-1)).map_err(io)?;
        file.read_exact(&mut last).map_err(io)?;
        if last != *b"\n" {
            text.push('\n');
        }
    }
    text.push_str(line);
    text.push('\n');
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}
