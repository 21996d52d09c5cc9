//! The sender's file name, trusted for nothing: made into one safe name in
//! the receiver's directory, and escaped before it reaches a terminal.

use std::fmt;

/// The name to save an offered file under: `offered` with every character
/// that could leave the directory, hide the file or upset a terminal
/// replaced by `_`:
///
/// - path separators (`/`, `\`), so the name is one component: no
///   absolute path, no `..` component, no subdirectory;
/// - control characters (C0, DEL, C1) and invisible formatting characters
///   (bidirectional overrides, zero-width characters), so what a listing
///   shows is what the file is called;
/// - a leading `.`, so the file is never hidden, and never `.` or `..`.
///
/// Symbolic links are not a name's business: the file is created under a
/// temporary name with exclusive create and moved to its final name only if
/// nothing (a link included) is there. Returns `None` for an empty name.
pub(crate) fn safe_name(offered: &str) -> Option<String> {
    let mut name: String = offered
        .chars()
        .map(|c| if is_unsafe(c) { '_' } else { c })
        .collect();
    if name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    if name.is_empty() { None } else { Some(name) }
}

/// Characters never kept in a saved name.
fn is_unsafe(c: char) -> bool {
    c == '/' || c == '\\' || c.is_control() || is_invisible(c)
}

/// Formatting characters that change how text around them is shown
/// without showing themselves: bidirectional controls ("Trojan Source"),
/// zero-width characters, the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}'                 // Arabic letter mark
        | '\u{200B}'..='\u{200F}'  // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'  // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'  // word joiner, invisible operators, bidi isolates
        | '\u{FEFF}'               // byte-order mark
        | '\u{FFF9}'..='\u{FFFB}') // interlinear annotation
}

/// A name from the peer, escaped for a terminal: control and invisible
/// characters, and the backslash, are written as `\u{..}` escapes (and
/// `\\`), so that what the sender named can neither move the cursor nor
/// disguise itself.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c == '\\' {
                f.write_str("\\\\")?;
            } else if c.is_control() || is_invisible(c) {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Component, Path};

    use proptest::prelude::*;

    use super::{Escaped, is_invisible, safe_name};

    #[test]
    fn hostile_names_stay_in_the_directory() {
        let cases = [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "_._.._etc_passwd"),
            ("/etc/passwd", "_etc_passwd"),
            ("..", "_."),
            (".", "_"),
            (".bashrc", "_bashrc"),
            ("a\\..\\b", "a_.._b"),
            ("evil\u{202E}fdp.exe", "evil_fdp.exe"),
            ("bell\x07\x1b[2J", "bell__[2J"),
            ("new\nline", "new_line"),
            ("nul\0", "nul_"),
            ("ünïcödé ok.txt", "ünïcödé ok.txt"),
        ];
        for (offered, saved) in cases {
            assert_eq!(safe_name(offered).as_deref(), Some(saved), "{offered:?}");
        }
        assert_eq!(safe_name(""), None);
    }

    #[test]
    fn escapes_for_the_terminal() {
        assert_eq!(
            Escaped("a\x1b[31mred\n\u{202E}x\\").to_string(),
            "a\\u{1b}[31mred\\u{a}\\u{202e}x\\\\"
        );
        assert_eq!(Escaped("plain name.txt").to_string(), "plain name.txt");
    }

    proptest! {
        /// Whatever the sender names, the result is one plain component of
        /// the directory, and stable.
        #[test]
        fn one_component_inside_the_directory(offered in "\\PC*|.*|[./\\\\\\x00-\\x1f]{0,12}") {
            let Some(name) = safe_name(&offered) else {
                prop_assert!(offered.is_empty());
                return Ok(());
            };
            let dir = Path::new("/srv/incoming");
            let path = dir.join(&name);
            prop_assert_eq!(path.parent(), Some(dir));
            let last = path.components().next_back();
            prop_assert!(matches!(last, Some(Component::Normal(_))), "{:?}", path);
            prop_assert!(!name.starts_with('.'));
            prop_assert!(!name.chars().any(|c| c.is_control() || is_invisible(c) || c == '/' || c == '\\'));
            prop_assert!(name.len() <= offered.len());
            prop_assert_eq!(safe_name(&name), Some(name.clone()));
        }

        /// An escaped name has no control or invisible character left.
        #[test]
        fn escaped_is_inert(offered in ".*") {
            let shown = Escaped(&offered).to_string();
            prop_assert!(!shown.chars().any(|c| c.is_control() || is_invisible(c)));
        }
    }
}
