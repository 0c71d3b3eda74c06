//! Flags several commands share, defined once and flattened into each command's arguments.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

/// The trace dumps of a run.
#[derive(clap::Args, Debug)]
pub struct Inputs {
    /// Trace dumps: files, directories (their files in name order), patterns such as
    /// 'dumps/data-*.json', or `-` for stdin; all are analysed together as one dump.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
}

/// Rule packs to evaluate.
#[derive(clap::Args, Debug)]
pub struct Rules {
    /// Rule packs to evaluate besides the built-in checks: TOML files, or directories
    /// (every *.toml in them).
    #[arg(long = "rules", short = 'r', value_name = "PACK")]
    pub rules: Vec<PathBuf>,
}

/// Where the output goes.
#[derive(clap::Args, Debug)]
pub struct Output {
    /// Write the output to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl Output {
    /// The file, if one was given.
    pub fn path(&self) -> Option<&Path> {
        self.output.as_deref()
    }

    /// Whether the output goes to a terminal.
    pub fn to_terminal(&self) -> bool {
        self.output.is_none() && std::io::stdout().is_terminal()
    }
}

/// When to colour human output.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum When {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// Colour in human output.
#[derive(clap::Args, Debug)]
pub struct Color {
    /// Colour in human output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub color: When,
}

impl Color {
    /// Whether to colour output that goes to `out`.
    pub fn enabled(&self, out: &Output) -> bool {
        match self.color {
            When::Always => true,
            When::Never => false,
            When::Auto => out.to_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}
