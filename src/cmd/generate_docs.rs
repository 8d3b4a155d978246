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
    for (shell, file) in [(Shell::Bash, "sealpost.bash"), (Shell::Zsh, "_sealpost"), (Shell::Fish, "sealpost.fish")] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "sealpost", &mut script);
        let script = String::from_utf8(script).context("a completion script is not UTF-8")?;
        let script = complete_contacts(shell, &script).context("adding contact completion")?;
        std::fs::write(completions.join(file), script).context("writing the completions")?;
    }
    Ok(())
}

/// clap's scripts complete file names where a contact is wanted (`send
/// --to`, `reply --from`, `--contact` of `audit`, `export` and `forget`,
/// `contact show|verify|consent|hold|release|retention`); these edits make them ask
/// `sealpost complete-contacts`, which never prompts. An edit that no longer
/// finds its place fails here rather than shipping a script without it.
fn complete_contacts(shell: Shell, script: &str) -> Result<String> {
    match shell {
        Shell::Bash => {
            let script = edit(script, "complete -F _sealpost ", "complete -F _sealpost_with_contacts ", 2)?;
            let at = script.rfind("if [[ \"${BASH_VERSINFO").context("the registration of the bash completion")?;
            Ok(format!("{}{BASH_CONTACTS}\n{}", &script[..at], &script[at..]))
        }
        Shell::Zsh => {
            let script = edit(script, ":WHO:_default'", ":WHO:_sealpost_contacts'", 5)?;
            let script = edit(
                &script,
                "':who -- Alias or address:_default'",
                "':who -- Alias or address:_sealpost_contacts'",
                6,
            )?;
            let at =
                script.rfind("if [ \"$funcstack[1]\" = \"_sealpost\" ]").context("the end of the zsh completion")?;
            Ok(format!("{}{ZSH_CONTACTS}\n{}", &script[..at], &script[at..]))
        }
        Shell::Fish => {
            let mut script = script.to_string();
            for (command, option) in
                [("send", "to"), ("reply", "from"), ("audit", "contact"), ("export", "contact"), ("forget", "contact")]
            {
                let start =
                    format!("complete -c sealpost -n \"__fish_sealpost_using_subcommand {command}\" -l {option} ");
                let line = script
                    .lines()
                    .find(|l| l.starts_with(&start))
                    .with_context(|| format!("the fish completion of {command} --{option}"))?
                    .to_string();
                script =
                    script.replacen(&line, &format!("{line} -f -a \"(sealpost complete-contacts 2>/dev/null)\""), 1);
            }
            Ok(format!("{script}{FISH_CONTACTS}"))
        }
        _ => Ok(script.to_string()),
    }
}

/// `text` with `from` replaced by `to`, which must occur `count` times.
fn edit(text: &str, from: &str, to: &str, count: usize) -> Result<String> {
    let found = text.matches(from).count();
    anyhow::ensure!(found == count, "expected {count} of {from:?} in the generated script, found {found}");
    Ok(text.replace(from, to))
}

const BASH_CONTACTS: &str = r#"# Contact aliases for `send --to`, `reply --from`, `--contact` and `contact show|verify|...`
# (added by `sealpost generate-docs`; `complete-contacts` never prompts).
_sealpost_with_contacts() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local before=" ${COMP_WORDS[*]:1:COMP_CWORD-1} " two_back=""
    [[ $COMP_CWORD -ge 2 ]] && two_back="${COMP_WORDS[COMP_CWORD-2]}"
    if [[ ($prev == --to && $before == *" send "*) || ($prev == --from && $before == *" reply "*) ||
        ($prev == --contact && ($before == *" audit "* || $before == *" export "* || $before == *" forget "*)) ||
        ($two_back == contact && $prev =~ ^(show|verify|consent|hold|release|retention)$ && $cur != -*) ]]; then
        compopt +o default +o bashdefault 2>/dev/null
        local IFS=$'\n'
        COMPREPLY=($(sealpost complete-contacts -- "$cur" 2>/dev/null))
        return 0
    fi
    _sealpost "$@"
}
"#;

const ZSH_CONTACTS: &str = r#"# Contact aliases (added by `sealpost generate-docs`; never prompts).
(( $+functions[_sealpost_contacts] )) ||
_sealpost_contacts() {
    local -a aliases
    aliases=(${(f)"$(sealpost complete-contacts 2>/dev/null)"})
    compadd -a aliases
}
"#;

const FISH_CONTACTS: &str = r#"# Contact aliases (added by `sealpost generate-docs`; never prompts).
complete -c sealpost -n "__fish_sealpost_using_subcommand contact; and __fish_seen_subcommand_from show verify consent hold release retention" -f -a "(sealpost complete-contacts 2>/dev/null)"
"#;
