//! tracecheck: reads OpenTelemetry trace dumps, rebuilds every trace as a graph, and
//! reports what is wrong with them.
//!
//! Data flows one way: [`input`] → [`model`] → [`graph`] → [`checks`] / [`rules`] / [`stats`] → [`report`].

pub mod checks;
pub mod diff;
pub mod digest;
pub mod export;
pub mod finding;
pub mod graph;
pub mod input;
pub mod model;
pub mod replay;
pub mod report;
pub mod rules;
pub mod stats;
pub mod stream;

pub mod analysis;
pub use analysis::partial;
