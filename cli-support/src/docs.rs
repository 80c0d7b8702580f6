//! Shell completions and man pages, one page for the command and for every subcommand at
//! any depth (`keygen-ledger-find.1`), so that every page a SEE ALSO names exists.

use std::path::Path;

/// Writes bash, zsh and fish completions and the man pages of `cmd` into `dir`.
pub fn write_docs(cmd: clap::Command, dir: &Path) -> std::io::Result<()> {
    use clap_complete::Shell;
    // `help` subcommands would be named in SEE ALSO without a page of their own.
    let mut cmd = without_help_subcommands(cmd);
    std::fs::create_dir_all(dir)?;
    let name = cmd.get_name().to_owned();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd, &name, dir)?;
    }
    cmd.build();
    write_pages(cmd, &name, dir)
}

fn without_help_subcommands(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true).mut_subcommands(without_help_subcommands)
}

fn write_pages(cmd: clap::Command, page_name: &str, dir: &Path) -> std::io::Result<()> {
    let subcommands: Vec<clap::Command> =
        cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.name(page_name.to_owned())).render(&mut page)?;
    std::fs::write(dir.join(format!("{page_name}.1")), page)?;
    for sub in subcommands {
        let sub_name = format!("{page_name}-{}", sub.get_name());
        write_pages(sub, &sub_name, dir)?;
    }
    Ok(())
}
