//! `tracecheck explain CODE`

use super::Exit;
use super::rules::{default_packs, load};
use std::path::PathBuf;
use tracecheck::checks::{self, Code};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A check code such as S001, or a rule id from a rule pack (see `tracecheck rules list`).
    code: String,
    /// Rule packs to look rule ids up in; default: ./rules when it exists.
    #[arg(long = "rules", short = 'r', value_name = "PACK")]
    rules: Vec<PathBuf>,
}

pub fn run(args: Args) -> Exit {
    if let Some(code) = Code::parse(&args.code) {
        let i = checks::info(code);
        println!("{} {} ({})", i.code, i.name, i.severity());
        println!("{}", i.summary);
        println!();
        print!("{}", i.doc);
        return Exit::Pass;
    }
    let config = match super::config() {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let paths = default_packs(args.rules, config);
    if !paths.is_empty() || config.is_some() {
        let Some(set) = load(&paths, config, "") else { return Exit::Usage };
        if let Some(rule) = set.rule(&args.code) {
            print!("{}", rule.explain(&set.packs()[rule.pack].name));
            return Exit::Pass;
        }
    }
    eprintln!("tracecheck: unknown check code or rule id {:?}; `tracecheck rules list` lists them", args.code);
    Exit::Usage
}
