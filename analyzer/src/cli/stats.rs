//! `tracecheck stats FILES…`

use super::args::{Inputs, Output};
use super::{Exit, load_or_exit, parse_filter, write_out};
use clap::ValueEnum;
use tracecheck::graph;
use tracecheck::report::stats::{self, StatsReport};
use tracecheck::stats::frame::By;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// Group by these columns, comma separated: service, name, kind, or any field of the rule
    /// language read on a span: `span.http.route`, `resource.service.instance.id`, `status`,
    /// `instrumentation:name` (spans without it form the group `nil`).
    #[arg(long, default_value = "service,name", value_parser = parse_by)]
    by: ByList,
    /// Only spans this selector of the rule language matches, e.g.
    /// '{ resource.service.name = "api" && kind = server }' or '{ name = "dht.put" } > { }'.
    #[arg(long = "where", value_name = "SELECTOR")]
    filter: Option<String>,
    /// Output format (parquet needs --output).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    output: Output,
}

#[derive(Clone, Debug)]
pub struct ByList(Vec<By>);

fn parse_by(s: &str) -> Result<ByList, String> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let by = match By::parse(part) {
            Some(b) => b,
            None => tracecheck::rules::FieldReader::parse(part.trim())
                .map(|f| By::Field(std::sync::Arc::new(f)))
                .map_err(|e| format!("cannot group by {part:?}: {e}"))?,
        };
        if !out.contains(&by) {
            out.push(by);
        }
    }
    if out.is_empty() {
        return Err("at least one column: service, name, kind, or a field".into());
    }
    Ok(ByList(out))
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
    Parquet,
}

pub fn run(args: Args) -> Exit {
    let filter = match parse_filter(args.filter.as_deref()) {
        Ok(f) => f,
        Err(exit) => return exit,
    };
    let parquet_path = match (args.format, args.output.path()) {
        (Format::Parquet, None) => {
            eprintln!("tracecheck: --format parquet needs --output FILE");
            return Exit::Usage;
        }
        (Format::Parquet, Some(path)) => Some(path),
        _ => None,
    };
    let loaded = match load_or_exit(&args.inputs.files) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    let dump = &loaded.dump;
    let traces = graph::group(dump);
    let mask = filter.as_ref().map(|f| f.mask(dump, &traces));
    let report = match StatsReport::new(dump, &traces, &args.by.0, mask.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tracecheck: cannot compute the statistics: {e}");
            return Exit::Incomplete;
        }
    };
    if let Some(path) = parquet_path {
        let written = std::fs::File::create(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))
            .and_then(|f| stats::write_parquet(&report, f).map_err(|e| e.to_string()));
        return match written {
            Ok(()) => Exit::Pass,
            Err(e) => {
                eprintln!("tracecheck: {e}");
                Exit::Incomplete
            }
        };
    }
    let mut buf = Vec::new();
    let written = match args.format {
        Format::Csv => stats::write_csv(&report, &mut buf),
        Format::Json => stats::write_json(&report, &mut buf).map_err(Into::into),
        Format::Table | Format::Parquet => stats::write_table(&report, &mut buf).map_err(Into::into),
    };
    if let Err(e) = written {
        eprintln!("tracecheck: {e}");
        return Exit::Incomplete;
    }
    write_out(&buf, args.output.path(), Exit::Pass)
}
