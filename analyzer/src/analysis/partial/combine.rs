//! Reading partial result files and joining them, refusing what would give a wrong report:
//! a corrupt file, partials of other inputs, rules, options or versions, and shards that
//! overlap.

use super::{BUCKETS, FORMAT, Partial};
use std::fmt;
use std::path::Path;

/// Why partials cannot be merged, naming the file at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for MergeError {}

/// Reads and checks one partial result file.
pub fn read(path: &Path) -> Result<Partial, MergeError> {
    let shown = path.display().to_string();
    let err = |message: String| MergeError { path: shown.clone(), message };
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    // The format is checked first, so another file says what it is rather than what it lacks.
    #[derive(serde::Deserialize)]
    struct Head {
        format: Option<String>,
    }
    match serde_json::from_slice::<Head>(&bytes) {
        Ok(Head { format: Some(f) }) if f != FORMAT => {
            return Err(err(format!("is a {f:?} file; this tracecheck merges {FORMAT:?}")));
        }
        Ok(Head { format: None }) => {
            return Err(err(format!("is JSON but not a partial result (no \"format\": {FORMAT:?})")));
        }
        _ => {}
    }
    let p: Partial = serde_json::from_slice(&bytes)
        .map_err(|e| err(format!("is not a readable partial result (corrupt or truncated): {e}")))?;
    validate(&p).map_err(err)?;
    Ok(p)
}

/// What a well-formed partial holds; a file failing this was damaged or not made by
/// `check --partial-out`.
fn validate(p: &Partial) -> Result<(), String> {
    if p.shards.is_empty() {
        return Err("covers no shard".into());
    }
    for s in &p.shards {
        if s.n == 0 || s.n > BUCKETS || s.k >= s.n {
            return Err(format!("names an impossible shard {}/{}", s.k, s.n));
        }
    }
    if p.inputs.is_none() {
        return Err("holds no record of its inputs".into());
    }
    if let Some(b) = p.buckets.iter().find(|b| !p.shards.iter().any(|s| s.covers(b.bucket))) {
        return Err(format!("holds spans of trace bucket {}, outside its shards", b.bucket));
    }
    if p.dump.orphans.iter().any(|o| !o.resolved) {
        return Err("holds orphan spans not resolved against the whole dump".into());
    }
    let in_buckets: u64 = p.buckets.iter().map(|b| b.spans).sum();
    if in_buckets != p.spans {
        return Err(format!("counts {} spans but its bucket digests cover {in_buckets}", p.spans));
    }
    Ok(())
}

/// Joins partials read from the files named with them into one, refusing partials that do
/// not belong together or that overlap. `max_findings` is the number of findings the report
/// will list per code; every partial must have kept at least as many.
pub fn combine(parts: Vec<(String, Partial)>, max_findings: usize) -> Result<Partial, MergeError> {
    let mut parts = parts.into_iter();
    let Some((first_path, mut total)) = parts.next() else {
        return Err(MergeError { path: "merge".into(), message: "no partial results given".into() });
    };
    let tool = env!("CARGO_PKG_VERSION");
    let check = |path: &str, p: &Partial, first: &Partial| -> Result<(), MergeError> {
        let err = |message: String| Err(MergeError { path: path.to_string(), message });
        if p.tool != tool {
            return err(format!("was made by tracecheck {}; this is tracecheck {tool}", p.tool));
        }
        if p.settings.packs != first.settings.packs || p.settings.config != first.settings.config {
            return err(format!("was made with other rule packs or tracecheck.toml than {first_path}"));
        }
        if p.settings != first.settings {
            return err(format!(
                "was made with other options than {first_path} (skew tolerance {} ns, max record size {} bytes; there {} ns, {} bytes)",
                p.settings.skew_tolerance,
                p.settings.max_record_bytes,
                first.settings.skew_tolerance,
                first.settings.max_record_bytes
            ));
        }
        if p.presplit != first.presplit {
            return err(format!(
                "mixes pre-split inputs with shards that read every input ({first_path} {} made with --presplit)",
                if first.presplit { "was" } else { "was not" }
            ));
        }
        if !p.presplit && p.inputs != first.inputs {
            return err(format!("was made from other inputs than {first_path} (each shard must read the same files)"));
        }
        if p.findings.max() < max_findings {
            return err(format!(
                "lists at most {} findings per code; listing {max_findings} needs partials made with --max-findings {max_findings} or more",
                p.findings.max()
            ));
        }
        Ok(())
    };
    check(&first_path, &total, &total)?;
    // Which file covers each bucket, to name both files of an overlap.
    let mut owner: Vec<Option<usize>> = vec![None; BUCKETS as usize];
    let mut names = vec![first_path.clone()];
    let mut claim = |k: usize, p: &Partial, names: &[String]| -> Result<(), MergeError> {
        for b in 0..=u16::MAX {
            if !p.shards.iter().any(|s| s.covers(b)) {
                continue;
            }
            if let Some(j) = owner[b as usize] {
                let message = if j == k {
                    format!("covers trace bucket {b} twice (its shards overlap)")
                } else {
                    format!("covers trace buckets that {} covers too (bucket {b} is the first)", names[j])
                };
                return Err(MergeError { path: names[k].clone(), message });
            }
            owner[b as usize] = Some(k);
        }
        Ok(())
    };
    claim(0, &total, &names)?;
    for (path, p) in parts {
        check(&path, &p, &total)?;
        names.push(path);
        claim(names.len() - 1, &p, &names)?;
        total.merge(p);
    }
    Ok(total)
}
