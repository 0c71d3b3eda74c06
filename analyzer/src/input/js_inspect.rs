//! Node's `util.inspect` text (what `console.dir` and `console.log` print for an object, and
//! so what the OpenTelemetry JS `ConsoleSpanExporter` writes) turned into JSON: unquoted keys
//! quoted, single-quoted and backquoted strings double-quoted, `undefined` and what inspect
//! abbreviates (`[Object]`, `[Array]`, `[Function: f]`, `[Getter]`) as `null`, BigInt
//! suffixes dropped, `... N more items` left out. Newlines stay where they were, so line
//! numbers in findings are the text's own.

/// Whether `text` starts like an inspected object: `{` then an unquoted key and a colon.
pub fn looks_like(text: &[u8]) -> bool {
    let mut k = 0;
    let skip = |k: &mut usize| {
        while text.get(*k).is_some_and(u8::is_ascii_whitespace) {
            *k += 1;
        }
    };
    skip(&mut k);
    if text.get(k) != Some(&b'{') {
        return false;
    }
    k += 1;
    skip(&mut k);
    let start = k;
    while text.get(k).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$') {
        k += 1;
    }
    k > start && !text[start].is_ascii_digit() && text.get(k) == Some(&b':')
}

/// The JSON text of inspected objects, or why it cannot be read (with the line).
pub fn to_json(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    let mut k = 0;
    let line_of = |k: usize| 1 + text[..k.min(text.len())].iter().filter(|&&c| c == b'\n').count();
    while k < text.len() {
        let c = text[k];
        match c {
            b'\'' | b'"' | b'`' => {
                // Inspect cuts long strings into `'…' +` pieces over several lines: one
                // string here, with the newlines it spanned put back after it.
                out.push(b'"');
                let mut newlines = 0;
                loop {
                    let q = text[k];
                    let end =
                        string_end(text, k).ok_or_else(|| format!("line {}: a string is not closed", line_of(k)))?;
                    push_body(&mut out, &text[k + 1..end], q);
                    k = end + 1;
                    let mut j = k;
                    let mut gap_newlines = 0;
                    while text.get(j).is_some_and(u8::is_ascii_whitespace) {
                        gap_newlines += usize::from(text[j] == b'\n');
                        j += 1;
                    }
                    if text.get(j) != Some(&b'+') {
                        break;
                    }
                    j += 1;
                    while text.get(j).is_some_and(u8::is_ascii_whitespace) {
                        gap_newlines += usize::from(text[j] == b'\n');
                        j += 1;
                    }
                    if !matches!(text.get(j), Some(b'\'' | b'"' | b'`')) {
                        break;
                    }
                    newlines += gap_newlines;
                    k = j;
                }
                out.push(b'"');
                out.extend(std::iter::repeat_n(b'\n', newlines));
            }
            b'[' if text[k..].starts_with(b"[Object]")
                || text[k..].starts_with(b"[Array]")
                || text[k..].starts_with(b"[Getter")
                || text[k..].starts_with(b"[Function")
                || text[k..].starts_with(b"[class") =>
            {
                let end = memchr::memchr(b']', &text[k..]).map_or(text.len(), |e| k + e + 1);
                out.extend_from_slice(b"null");
                k = end;
            }
            b'.' if text[k..].starts_with(b"... ") => {
                // `... 12 more items` closes a long array: drop it and the comma before it.
                let end = memchr::memchr(b'\n', &text[k..]).map_or(text.len(), |e| k + e);
                let stop = text[k..end].iter().position(|&x| x == b']' || x == b'}').map_or(end, |p| k + p);
                while out.last().is_some_and(|x| x.is_ascii_whitespace()) {
                    out.pop();
                }
                if out.last() == Some(&b',') {
                    out.pop();
                }
                k = stop;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                let start = k;
                while text.get(k).is_some_and(|&x| x.is_ascii_alphanumeric() || x == b'_' || x == b'$') {
                    k += 1;
                }
                let word = &text[start..k];
                let mut j = k;
                while text.get(j).is_some_and(|x| *x == b' ' || *x == b'\t') {
                    j += 1;
                }
                if text.get(j) == Some(&b':') {
                    out.push(b'"');
                    out.extend_from_slice(word);
                    out.push(b'"');
                } else {
                    match word {
                        b"true" | b"false" | b"null" => out.extend_from_slice(word),
                        b"undefined" | b"NaN" | b"Infinity" => out.extend_from_slice(b"null"),
                        // `Symbol(x)`, `Map(2) {…}` and other constructs: not span data.
                        _ => {
                            return Err(format!(
                                "line {}: {:?} is not a value",
                                line_of(start),
                                String::from_utf8_lossy(word)
                            ));
                        }
                    }
                }
            }
            b'0'..=b'9' | b'-' => {
                let start = k;
                k += 1;
                while text
                    .get(k)
                    .is_some_and(|x| x.is_ascii_digit() || matches!(x, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
                {
                    k += 1;
                }
                out.extend(text[start..k].iter().filter(|&&x| x != b'_'));
                if text.get(k) == Some(&b'n') {
                    k += 1;
                }
            }
            _ => {
                out.push(c);
                k += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the quote that closes the string opened at `open`.
fn string_end(text: &[u8], open: usize) -> Option<usize> {
    let q = text[open];
    let mut k = open + 1;
    while k < text.len() {
        match text[k] {
            b'\\' => k += 2,
            c if c == q => return Some(k),
            _ => k += 1,
        }
    }
    None
}

/// A string's body (as written between `quote`s) as the body of a JSON string.
fn push_body(out: &mut Vec<u8>, body: &[u8], quote: u8) {
    let mut k = 0;
    while k < body.len() {
        match body[k] {
            b'\\' if k + 1 < body.len() => {
                let next = body[k + 1];
                if next == quote && quote != b'"' || next == b'\'' {
                    out.push(next);
                } else {
                    out.push(b'\\');
                    out.push(next);
                }
                k += 2;
            }
            b'"' => {
                out.extend_from_slice(b"\\\"");
                k += 1;
            }
            b'\n' => {
                out.extend_from_slice(b"\\n");
                k += 1;
            }
            c => {
                out.push(c);
                k += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspected_objects_become_json() {
        let text = b"{\n  stack: 'Error: x\\n' +\n    '    at f',\n  name: 'it\\'s \"x\"',\n  kind: 2,\n  big: 12n,\n  parent: undefined,\n  attributes: { 'http.method': 'GET', list: [ 1, 2, ... 3 more items ] },\n  deep: [Object],\n  time: [ 1796010755, 935287389 ]\n}\n";
        assert!(looks_like(text));
        assert!(!looks_like(b"{\"name\": 1}"));
        let json = to_json(text).expect("converts");
        let v: serde_json::Value = serde_json::from_slice(&json).expect("valid JSON");
        assert_eq!(v["name"], "it's \"x\"");
        assert_eq!(v["big"], 12);
        assert!(v["parent"].is_null() && v["deep"].is_null());
        assert_eq!(v["attributes"]["list"], serde_json::json!([1, 2]));
        assert_eq!(v["time"][1], 935287389);
        assert_eq!(v["stack"], "Error: x\n    at f");
        let lines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count();
        assert_eq!(lines(&json), lines(text), "lines kept");
        assert!(to_json(b"{ a: 'open }").is_err());
    }
}
