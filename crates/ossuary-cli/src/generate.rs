//! `ossuary generate man --out DIR` and `ossuary generate completions SHELL`:
//! the man pages and completion scripts, generated from the same clap
//! definitions that parse the command line, so they cannot drift from it.
//!
//! A hidden subcommand rather than an xtask command: xtask depends on none
//! of our crates (STYLE rule 1, checked by `cargo xtask tidy`), so it could
//! only run the built binary anyway, and a packager who has the binary
//! needs nothing else to produce them.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, Generate, GenerateArgs, Shell};
use crate::error::Error;

/// Runs `ossuary generate`.
///
/// # Errors
/// [`Error::Local`] if a page cannot be written, or stdout fails.
pub(crate) fn run(args: &GenerateArgs) -> Result<(), Error> {
    match &args.what {
        Generate::Man { out } => man_pages(out),
        Generate::Completions { shell } => {
            let mut stdout = std::io::stdout().lock();
            completions(*shell, &mut stdout);
            stdout
                .flush()
                .map_err(|e| Error::local("stdout", "write", e))
        }
    }
}

/// Writes the completion script for `shell`.
fn completions(shell: Shell, out: &mut dyn Write) {
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Elvish => Target::Elvish,
        Shell::Powershell => Target::PowerShell,
    };
    clap_complete::generate(target, &mut Cli::command(), "ossuary", out);
}

/// Writes `ossuary.1` and `ossuary-SUBCOMMAND.1` for each visible
/// subcommand into `dir`.
fn man_pages(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::local(dir, "create the directory", e))?;
    let command = Cli::command();
    write_page(dir, "ossuary.1", command.clone())?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("ossuary-{}", sub.get_name());
        let page = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("ossuary {}", sub.get_name()));
        write_page(dir, &format!("{name}.1"), page)?;
    }
    Ok(())
}

/// Renders one man page into `dir/file`.
fn write_page(dir: &Path, file: &str, command: clap::Command) -> Result<(), Error> {
    let path = dir.join(file);
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|e| Error::local(&path, "render", e))?;
    std::fs::write(&path, page).map_err(|e| Error::local(&path, "write", e))
}

#[cfg(test)]
mod tests {
    use super::{completions, man_pages};
    use crate::cli::Shell;

    #[test]
    fn completions_name_every_subcommand() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::Powershell,
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out);
            let text = String::from_utf8(out).unwrap();
            for sub in [
                "keygen", "listen", "connect", "send", "receive", "tunnel", "demo",
            ] {
                assert!(text.contains(sub), "{shell:?} lacks {sub}");
            }
            assert!(text.contains("trust-first-use"), "{shell:?}");
        }
    }

    #[test]
    fn man_pages_for_the_command_and_each_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        man_pages(dir.path()).unwrap();
        let main = std::fs::read_to_string(dir.path().join("ossuary.1")).unwrap();
        assert!(
            main.starts_with(".ie") || main.contains(".TH ossuary"),
            "{main}"
        );
        assert!(
            main.contains("Exit status"),
            "the exit table is in the page"
        );
        let tunnel = std::fs::read_to_string(dir.path().join("ossuary-tunnel.1")).unwrap();
        assert!(tunnel.contains("max\\-connections"), "{tunnel}");
        assert!(!dir.path().join("ossuary-generate.1").exists(), "hidden");
    }
}
