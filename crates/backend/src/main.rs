//! The `compass` binary: parses the command line and hands over to the library.

use clap::Parser;
use compass_backend::cli::Cli;

fn main() {
    let cli = Cli::parse();
    eprintln!("{:?}: not implemented yet", cli.command);
    std::process::exit(2);
}
