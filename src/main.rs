use clap::Parser;

use sealpost::error::{exit_code_of, json_error, set_json_output, ExitCode};

fn main() -> std::process::ExitCode {
    let cli = match sealpost::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Arguments that do not parse: `--json` anywhere asks for JSON.
        Err(e) if std::env::args().any(|a| a == "--json") && e.use_stderr() => {
            eprintln!("{}", json_error(ExitCode::Usage, &e.to_string()));
            return std::process::ExitCode::from(ExitCode::Usage as u8);
        }
        Err(e) => e.exit(),
    };
    let json = cli.json;
    set_json_output(json);
    match sealpost::cmd::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            let code = exit_code_of(&err);
            if json {
                eprintln!("{}", json_error(code, &format!("{err:#}")));
            } else {
                eprintln!("sealpost: {err:#}");
            }
            std::process::ExitCode::from(code as u8)
        }
    }
}
