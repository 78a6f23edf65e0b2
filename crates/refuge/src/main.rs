//! The `refuge` command: parses arguments and hands over to `refuge::cli`.

fn main() -> std::process::ExitCode {
    refuge::cli::run()
}
