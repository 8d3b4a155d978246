use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = sealpost::cli::Cli::parse();
    match sealpost::cmd::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sealpost: {err:#}");
            std::process::ExitCode::from(sealpost::error::exit_code_of(&err) as u8)
        }
    }
}
