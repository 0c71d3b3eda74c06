use super::{CheckInfo, Code, Finding};

/// A001.
pub const INFO: CheckInfo = CheckInfo {
    code: Code::A001,
    name: "missing-service-name",
    summary: "A resource that has spans lacks a service.name attribute",
    doc: "\
What it checks
  Every resource that carries spans has a non-empty string attribute `service.name`. Identical
  resources (same attributes), as the file exporter repeats them line after line, are
  reported once, with the number of records they appear in.

Why it matters
  The service name is how every backend and every tracecheck report groups operations;
  without it spans from different services mix under one empty name.

Example
  sample-traces/checks/A001-missing-service-name.jsonl:4: resource without service.name
  (host.name=\"host-e\", service.version=\"1.4.2\")

How to fix
  Set OTEL_SERVICE_NAME, or add `service.name` to the SDK's Resource.
",
};

/// The A001 finding for a distinct resource without a service name (found by the resource
/// pass, [`super::resources`]): `attrs` lists its attributes, `where_` the records it is in.
pub fn finding(attrs: &str, where_: &str) -> Finding {
    let shown = if attrs.is_empty() { "no attributes" } else { attrs };
    Finding::new(INFO.code, format!("resource without service.name ({shown}){where_}"))
}
