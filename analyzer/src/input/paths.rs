//! Naming inputs: files, directories (their files in name order), shell patterns the
//! shell did not expand, and `-` for stdin.

use super::*;

/// The inputs of a run, resolved once: every file that directories and patterns name, in
/// the order they are read, and the inputs that named nothing readable.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub errors: Vec<LoadError>,
    /// Files named more than once (directly, or as a file of a directory also given), each
    /// with the name it is read under: read once, or every span would be a duplicate.
    pub repeated: Vec<(PathBuf, PathBuf)>,
}

impl Inputs {
    /// Resolves files, directories (their files in name order, hidden files skipped),
    /// patterns the shell did not expand, and `-` for stdin. A file named twice is read once.
    pub fn resolve(inputs: &[PathBuf]) -> Inputs {
        let mut errors = Vec::new();
        let mut files = expand(inputs, &mut errors);
        let mut seen: std::collections::HashMap<PathBuf, PathBuf> = std::collections::HashMap::new();
        let mut repeated = Vec::new();
        files.retain(|f| {
            if f.as_os_str() == "-" {
                return true;
            }
            let Ok(real) = std::fs::canonicalize(f) else { return true };
            match seen.get(&real) {
                Some(first) => {
                    repeated.push((f.clone(), first.clone()));
                    false
                }
                None => {
                    seen.insert(real, f.clone());
                    true
                }
            }
        });
        Inputs { files, errors, repeated }
    }
}

/// The files `inputs` name: directories and patterns expanded as [`load`] does.
pub fn expand(inputs: &[PathBuf], errors: &mut Vec<LoadError>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() != "-" && p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(rd) => {
                    let mut files: Vec<PathBuf> =
                        rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file() && !is_hidden(p)).collect();
                    files.sort();
                    if files.is_empty() {
                        errors.push(LoadError {
                            path: p.display().to_string(),
                            message: "directory holds no files".into(),
                        });
                    }
                    out.extend(files);
                }
                Err(e) => errors.push(LoadError { path: p.display().to_string(), message: e.to_string() }),
            }
        } else if !p.exists() && is_pattern(p) {
            let matched = glob(p);
            if matched.is_empty() {
                errors
                    .push(LoadError { path: p.display().to_string(), message: "no file matches this pattern".into() });
            }
            out.extend(matched);
        } else {
            out.push(p.clone());
        }
    }
    out
}

pub(super) fn is_pattern(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(['*', '?', '[']))
}

/// Files of the pattern's folder whose names match its last component (`*`, `?`, `[abc]`,
/// `[a-z]`, `[!a]`), in name order; hidden files only when the pattern starts with a dot.
pub(super) fn glob(pattern: &Path) -> Vec<PathBuf> {
    let dir = match pattern.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(pat) = pattern.file_name().and_then(|n| n.to_str()) else { return Vec::new() };
    let Ok(rd) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            (pat.starts_with('.') || !name.starts_with('.')) && wildcard(pat.as_bytes(), name.as_bytes())
        })
        .map(|e| match pattern.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.join(e.file_name()),
            _ => PathBuf::from(e.file_name()),
        })
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Shell-style wildcard match of a whole name.
pub(super) fn wildcard(pat: &[u8], name: &[u8]) -> bool {
    match pat.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len()).any(|i| wildcard(&pat[1..], &name[i..])),
        Some(b'?') => !name.is_empty() && wildcard(&pat[1..], &name[1..]),
        Some(b'[') => {
            let Some(close) = pat.iter().skip(2).position(|&c| c == b']').map(|p| p + 2) else {
                return name.first() == Some(&b'[') && wildcard(&pat[1..], &name[1..]);
            };
            let (negate, set) = match &pat[1..close] {
                [b'!' | b'^', rest @ ..] => (true, rest),
                set => (false, set),
            };
            let Some(&c) = name.first() else { return false };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && wildcard(&pat[close + 1..], &name[1..])
        }
        Some(&p) => name.first() == Some(&p) && wildcard(&pat[1..], &name[1..]),
    }
}

pub(super) fn is_hidden(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// Returns whether `path` names stdin.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        let m = |p: &str, n: &str| wildcard(p.as_bytes(), n.as_bytes());
        assert!(m("data-*.json", "data-2026-11-21T10-00-00.000.json"));
        assert!(!m("data-*.json", "data-1.json.zst"));
        assert!(m("*.json*", "data-1.json.zst"));
        assert!(m("t?.jsonl", "t1.jsonl") && !m("t?.jsonl", "t10.jsonl"));
        assert!(m("t[0-9].json", "t7.json") && !m("t[!0-9].json", "t7.json"));
        assert!(m("[ab]*", "alpha") && !m("[ab]*", "gamma"));
    }
}
