//! `tracecheck rules list`

use tracecheck::checks::REGISTRY;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List the built-in checks with their codes and severities.
    List,
}

pub fn run(cmd: Command) -> u8 {
    match cmd {
        Command::List => {
            println!("{:<6} {:<8} {:<30} summary", "code", "severity", "name");
            for i in REGISTRY {
                println!("{:<6} {:<8} {:<30} {}", i.code.as_str(), i.severity.as_str(), i.name, i.summary);
            }
            0
        }
    }
}
