// Shared by the fuzz targets: analyse bytes end to end and check the accounting invariants.
use tracecheck::analysis::{Options, analyze_loaded};
use tracecheck::finding::Severity;
use tracecheck::input::{LoadOptions, Loaded, load_bytes};
use tracecheck::report::{Report, VerdictOptions};

pub fn analyse(bytes: &[u8]) {
    let mut loaded = Loaded::default();
    // Small chunks so the parallel split and merge run on small inputs too.
    load_bytes(&mut loaded, "fuzz", bytes, &LoadOptions { chunk_bytes: 64, ..LoadOptions::default() });
    let a = analyze_loaded(loaded, &Options::default());
    let r = Report::new(&a, VerdictOptions { fail_on: Severity::Error, allow_empty: false });
    let c = &r.counts.input;
    assert_eq!(c.records_read, c.records_decoded + c.records_skipped + c.records_other_signal);
    assert_eq!(c.spans_read, r.counts.spans + c.spans_dropped);
    let mut out = Vec::new();
    tracecheck::report::json::write(&r, &mut out).expect("report writes");
}
