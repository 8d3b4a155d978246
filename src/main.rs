use clap::Parser;

use sealpost::error::{eprint_whole, exit_code_of, json_error, set_json_output, ExitCode};

fn main() -> std::process::ExitCode {
    let cli = match sealpost::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Arguments that do not parse: `--json` anywhere asks for JSON.
        Err(e) if std::env::args().any(|a| a == "--json") && e.use_stderr() => {
            eprint_whole(&json_error(ExitCode::Usage, &e.to_string()));
            return std::process::ExitCode::from(ExitCode::Usage as u8);
        }
        Err(e) => e.exit(),
    };
    let json = cli.json;
    set_json_output(json);
    end_quietly_on_a_closed_stdout();
    match sealpost::cmd::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            let code = exit_code_of(&err);
            if json {
                eprint_whole(&json_error(code, &format!("{err:#}")));
            } else {
                eprintln!("sealpost: {err:#}");
            }
            std::process::ExitCode::from(code as u8)
        }
    }
}

/// A closed stdout (`sealpost inbox | head -1`) ends the command quietly
/// with 141, as a shell reports a command stopped by SIGPIPE, instead of a
/// panic message and 101. SIGPIPE itself stays ignored, so a closed socket
/// (a mail server, the unlock agent) is an error the command handles.
fn end_quietly_on_a_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
