//! `tracecheck rules list` and `tracecheck rules check`

use super::Exit;
use std::path::PathBuf;
use tracecheck::checks::REGISTRY;
use tracecheck::rules::{Config, PackKind, RuleSet};

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// List the built-in checks and the rules of rule packs.
    List {
        /// Rule packs (files or directories); default: ./rules when it exists.
        #[arg(long = "rules", short = 'r', value_name = "PACK")]
        rules: Vec<PathBuf>,
    },
    /// Validate rule packs (and a tracecheck.toml given among them, with its packs): exit 0
    /// when every file is valid, 2 with file:line:column errors otherwise.
    Check {
        /// Rule pack files, directories of `*.toml` packs, or a tracecheck.toml.
        #[arg(required = true, value_name = "PACK")]
        files: Vec<PathBuf>,
    },
}

/// The packs named, or `./rules` when none are, no tracecheck.toml applies, and it holds
/// packs.
pub fn default_packs(given: Vec<PathBuf>, config: Option<&Config>) -> Vec<PathBuf> {
    if given.is_empty() && config.is_none() {
        let dir = PathBuf::from("rules");
        let has_packs = std::fs::read_dir(&dir)
            .map(|d| d.flatten().any(|e| e.path().extension().is_some_and(|x| x == "toml")))
            .unwrap_or(false);
        if has_packs { vec![dir] } else { Vec::new() }
    } else {
        given
    }
}

/// Loads the packs of `config` and `paths`, then the config's suppressions, printing errors
/// and their count (followed by `after`); `None` after an error.
pub fn load(paths: &[PathBuf], config: Option<&Config>, after: &str) -> Option<RuleSet> {
    match RuleSet::load_with_config(paths, config) {
        Ok(set) => Some(set),
        Err(errors) => {
            let what = if config.is_some() { "the rule packs and tracecheck.toml" } else { "the rule packs" };
            say_errors(&errors, what, after);
            None
        }
    }
}

/// Prints each error (escaped), then their count in `what`, followed by `after`.
pub fn say_errors(errors: &[tracecheck::rules::RuleError], what: &str, after: &str) {
    for e in errors {
        eprintln!("{}", tracecheck::report::term::escape(&e.to_string()));
    }
    eprintln!("tracecheck: {} error(s) in {}{after}", errors.len(), tracecheck::report::term::escape(what));
}

pub fn run(cmd: Command) -> Exit {
    match cmd {
        Command::List { rules } => {
            println!("{:<8} {:<8} {:<30} summary", "code", "severity", "name");
            for i in REGISTRY {
                println!("{:<8} {:<8} {:<30} {}", i.code.as_str(), i.severity().as_str(), i.name, i.summary);
            }
            let config = match super::config() {
                Ok(c) => c,
                Err(exit) => return exit,
            };
            let paths = default_packs(rules, config);
            if paths.is_empty() && config.is_none() {
                return Exit::Pass;
            }
            let Some(set) = load(&paths, config, "") else { return Exit::Usage };
            for (i, pack) in set.packs().iter().enumerate() {
                println!();
                if pack.kind == PackKind::Config {
                    let n = set.suppressions().iter().filter(|s| s.source.starts_with(&pack.path)).count();
                    println!("{} (config, {n} suppression(s))", pack.path);
                    continue;
                }
                println!("{} ({}, {} rules)", pack.name, pack.path, pack.rules);
                for r in set.rules().iter().filter(|r| r.pack == i) {
                    println!("{:<8} {:<8} {:<30} {}", &*r.id, r.severity.as_str(), r.quantifier.as_str(), r.title);
                }
            }
            Exit::Pass
        }
        Command::Check { files } => {
            // A tracecheck.toml among them is read as a config, with its packs.
            let (configs, files): (Vec<PathBuf>, Vec<PathBuf>) = files
                .into_iter()
                .partition(|f| f.file_name().is_some_and(|n| n == tracecheck::rules::config::FILE_NAME));
            let config = match configs.as_slice() {
                [] => None,
                [one] => match Config::read(one) {
                    Ok(c) => Some(c),
                    Err(errors) => {
                        say_errors(&errors, &one.display().to_string(), "");
                        return Exit::Usage;
                    }
                },
                _ => {
                    eprintln!("tracecheck: give one tracecheck.toml at a time");
                    return Exit::Usage;
                }
            };
            let Some(set) = load(&files, config.as_ref(), "") else { return Exit::Usage };
            for pack in set.packs() {
                if pack.kind == PackKind::Config {
                    println!("{}: ok, config", pack.path);
                    continue;
                }
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
            for (code, severity, at) in set.severity_overrides() {
                println!("{at}: {code} findings are {severity} under these packs");
            }
            for s in set.suppressions().iter().filter(|s| s.expired) {
                println!(
                    "{}: warning: this suppression expired on {}; it silences nothing (R001)",
                    s.source,
                    s.expires.as_deref().unwrap_or_default()
                );
            }
            Exit::Pass
        }
    }
}
