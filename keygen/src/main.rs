//! Not built yet: see the open issue for this tool.

fn main() -> std::process::ExitCode {
    eprintln!("keygen is not built yet");
    std::process::ExitCode::from(1)
}
