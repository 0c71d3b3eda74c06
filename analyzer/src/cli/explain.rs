//! `tracecheck explain CODE`

use super::EXIT_USAGE;
use tracecheck::checks::{self, Code};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A check code, such as S001 (see `tracecheck rules list`).
    code: String,
}

pub fn run(args: Args) -> u8 {
    match Code::parse(&args.code) {
        Some(code) => {
            let i = checks::info(code);
            println!("{} {} ({})", i.code, i.name, i.severity);
            println!("{}", i.summary);
            println!();
            print!("{}", i.doc);
            0
        }
        None => {
            eprintln!("tracecheck: unknown check code {:?}; `tracecheck rules list` lists them", args.code);
            EXIT_USAGE
        }
    }
}
