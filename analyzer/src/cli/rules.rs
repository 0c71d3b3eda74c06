//! `tracecheck rules list` and `tracecheck rules check`

use super::Exit;
use std::path::PathBuf;
use tracecheck::checks::REGISTRY;
use tracecheck::rules::RuleSet;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List the built-in checks and the rules of rule packs.
    List {
        /// Rule packs (files or directories); default: ./rules when it exists.
        #[arg(long = "rules", short = 'r', value_name = "PACK")]
        rules: Vec<PathBuf>,
    },
    /// Validate rule packs: exit 0 when every file is valid, 2 with file:line:column
    /// errors otherwise.
    Check {
        /// Rule pack files, or directories of `*.toml` packs.
        #[arg(required = true, value_name = "PACK")]
        files: Vec<PathBuf>,
    },
}

/// The packs named, or `./rules` when none are and it holds packs.
pub fn default_packs(given: Vec<PathBuf>) -> Vec<PathBuf> {
    if given.is_empty() {
        let dir = PathBuf::from("rules");
        let has_packs = std::fs::read_dir(&dir)
            .map(|d| d.flatten().any(|e| e.path().extension().is_some_and(|x| x == "toml")))
            .unwrap_or(false);
        if has_packs { vec![dir] } else { Vec::new() }
    } else {
        given
    }
}

/// Loads packs, printing errors and their count (followed by `after`); `None` after an
/// error.
pub fn load(paths: &[PathBuf], after: &str) -> Option<RuleSet> {
    match RuleSet::load(paths) {
        Ok(set) => Some(set),
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("tracecheck: {} error(s) in the rule packs{after}", errors.len());
            None
        }
    }
}

pub fn run(cmd: Command) -> Exit {
    match cmd {
        Command::List { rules } => {
            println!("{:<8} {:<8} {:<30} summary", "code", "severity", "name");
            for i in REGISTRY {
                println!("{:<8} {:<8} {:<30} {}", i.code.as_str(), i.severity().as_str(), i.name, i.summary);
            }
            let paths = default_packs(rules);
            if paths.is_empty() {
                return Exit::Pass;
            }
            let Some(set) = load(&paths, "") else { return Exit::Usage };
            for (i, pack) in set.packs().iter().enumerate() {
                println!();
                println!("{} ({}, {} rules)", pack.name, pack.path, pack.rules);
                for r in set.rules().iter().filter(|r| r.pack == i) {
                    println!("{:<8} {:<8} {:<30} {}", &*r.id, r.severity.as_str(), r.quantifier.as_str(), r.title);
                }
            }
            Exit::Pass
        }
        Command::Check { files } => {
            let Some(set) = load(&files, "") else { return Exit::Usage };
            for pack in set.packs() {
                println!("{}: ok, pack {:?} with {} rule(s)", pack.path, pack.name, pack.rules);
                if pack.schema == 1 {
                    println!(
                        "{}: note: schema = 1: its regexes match any part of a value (`=~ \"dht\"` matches \"dht.put\"); schema = 2 matches the whole value, as TraceQL does",
                        pack.path
                    );
                }
            }
            if !set.suppressions().is_empty() {
                println!("{} suppression(s), each with a reason", set.suppressions().len());
            }
            Exit::Pass
        }
    }
}
