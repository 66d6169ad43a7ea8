//! The `gcal-emulator` binary.

fn main() {
    eprintln!("gcal-emulator: not implemented yet");
    std::process::exit(2);
}
