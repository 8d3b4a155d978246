use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use super::{Run, Session};
use crate::cli::{Cli, GenerateDocs};

impl Run for GenerateDocs {
    fn run(&self, session: &Session) -> Result<()> {
        write_docs(&self.out)?;
        if session.json {
            session.print_json(
                &serde_json::json!({ "man": self.out.join("man"), "completions": self.out.join("completions") }),
            )?;
        }
        Ok(())
    }
}

/// Writes `man/` and `completions/` under `out`, from the clap definitions.
pub fn write_docs(out: &std::path::Path) -> Result<()> {
    let man = out.join("man");
    let completions = out.join("completions");
    std::fs::create_dir_all(&man).context("creating man/")?;
    std::fs::create_dir_all(&completions).context("creating completions/")?;
    clap_mangen::generate_to(Cli::command(), &man).context("writing the man pages")?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut Cli::command(), "sealpost", &completions)
            .context("writing the completions")?;
    }
    Ok(())
}
