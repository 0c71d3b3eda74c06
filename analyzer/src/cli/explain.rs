//! `tracecheck explain CODE`

use super::Exit;
use super::rules::{default_packs, load};
use std::path::PathBuf;
use tracecheck::checks::{self, Code};
use tracecheck::rules::{Quantifier, Rule};

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
    let paths = default_packs(args.rules);
    if !paths.is_empty() {
        let Some(set) = load(&paths, "") else { return Exit::Usage };
        if let Some(rule) = set.rule(&args.code) {
            print!("{}", describe(rule, &set.packs()[rule.pack].name));
            return Exit::Pass;
        }
    }
    eprintln!("tracecheck: unknown check code or rule id {:?}; `tracecheck rules list` lists them", args.code);
    Exit::Usage
}

fn describe(r: &Rule, pack: &str) -> String {
    let mut s = format!("{} {} ({})\n", r.id, r.title, r.severity);
    s.push_str(&format!("pack {pack}, defined at {}\n\n", r.source));
    if let Some(d) = &r.description {
        s.push_str(d.trim_end());
        s.push_str("\n\n");
    }
    let q = match r.quantifier {
        Quantifier::Each => "Every span matching",
        Quantifier::Any => "At least one span matching",
        Quantifier::None => "No span may match",
    };
    s.push_str(&format!("{q}\n    {}\n", r.selector.text));
    if !r.expect.is_empty() {
        s.push_str("must satisfy\n");
        for e in &r.expect {
            s.push_str(&format!("    {}\n", e.text));
        }
    }
    if !r.children_in_order.is_empty() {
        let order: Vec<&str> = r.children_in_order.iter().map(|p| p.text.as_str()).collect();
        s.push_str(&format!("must have children in this order\n    {}\n", order.join("\n    ")));
    }
    if r.within_parent {
        s.push_str("must lie within its parent's time span\n");
    }
    if !r.aggregates.is_empty() {
        let groups: Vec<String> = r.group_by.iter().map(|f| f.display()).collect();
        let per = if groups.is_empty() { String::new() } else { format!(" per {}", groups.join(", ")) };
        s.push_str(&format!("and over all matches ({} scope{per}, min_samples {})\n", r.scope.as_str(), r.min_samples));
        for a in &r.aggregates {
            s.push_str(&format!("    {}\n", a.text));
        }
    }
    if r.allow_inconclusive {
        s.push_str("An inconclusive outcome does not fail the run.\n");
    }
    if let Some(h) = &r.hint {
        s.push_str(&format!("\nHow to fix: {h}\n"));
    }
    s
}
