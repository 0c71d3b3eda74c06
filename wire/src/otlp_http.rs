//! The OTLP/HTTP trace export: protobuf `POST`s to `…/v1/traces`, retried with exponential
//! back-off on the failures the OTLP specification calls retryable (429, 502, 503, 504 and
//! connection errors), five attempts at most.

use std::time::Duration;

/// Attempts per export, the first included.
pub const ATTEMPTS: u32 = 5;

/// The wait before the first retry; it doubles before each further one.
pub const FIRST_DELAY: Duration = Duration::from_millis(200);

/// The traces URL of an OTLP/HTTP endpoint (`/v1/traces` added when missing), checked
/// before anything is sent: an `http://` URL with a host. `https://` is refused with the
/// reason: the HTTP client is built without TLS, to stay small.
pub fn traces_url(endpoint: &str) -> Result<String, String> {
    let uri: ureq::http::Uri =
        endpoint.parse().map_err(|e| format!("{endpoint:?} is not a URL ({e}); e.g. http://localhost:4318"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "{endpoint:?}: this build speaks plain HTTP only (no TLS); send to a local collector's http:// port"
            ));
        }
        _ => return Err(format!("{endpoint:?} is not an http:// URL; e.g. http://localhost:4318")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{endpoint:?} names no host; e.g. http://localhost:4318"));
    }
    let u = endpoint.trim_end_matches('/');
    Ok(if u.ends_with("/v1/traces") { u.to_owned() } else { format!("{u}/v1/traces") })
}

/// A client for exports: a 30 s limit per request, HTTP statuses as answers, not errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// An export the endpoint took.
#[derive(Debug)]
pub struct Accepted {
    /// The response body (an `ExportTraceServiceResponse`).
    pub response: Vec<u8>,
    /// Attempts made, the successful one included.
    pub attempts: u32,
}

/// An export that failed for good.
#[derive(Debug, thiserror::Error)]
#[error("{reason} after {attempts} attempt(s)")]
pub struct Failed {
    /// `HTTP 400`, or the transport error.
    pub reason: String,
    pub attempts: u32,
}

/// Sends one protobuf body to `url` (from [`traces_url`]) with [`agent`]'s settings,
/// retrying as the module says.
pub fn export(agent: &ureq::Agent, url: &str, body: &[u8]) -> Result<Accepted, Failed> {
    export_with(agent, url, &[], body)
}

/// As [`export`], with extra request headers (`X-Scope-OrgID`, `Authorization`,
/// `Content-Encoding: gzip` for a body the caller compressed). A refused request's reason
/// carries what the endpoint said: the message of its `google.rpc.Status`, or its text.
pub fn export_with(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Accepted, Failed> {
    let mut delay = FIRST_DELAY;
    let mut attempts = 1;
    loop {
        let mut req = agent.post(url).content_type("application/x-protobuf");
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let (retry, reason) = match req.send(body) {
            Ok(mut resp) if resp.status().is_success() => {
                let response = resp.body_mut().read_to_vec().unwrap_or_default();
                return Ok(Accepted { response, attempts });
            }
            Ok(mut resp) => {
                let code = resp.status().as_u16();
                let said = resp.body_mut().with_config().limit(64 << 10).read_to_vec().ok().and_then(|b| said(&b));
                let reason = match said {
                    Some(s) => format!("HTTP {code}: {s}"),
                    None => format!("HTTP {code}"),
                };
                (matches!(code, 429 | 502 | 503 | 504), reason)
            }
            Err(e) => (true, e.to_string()),
        };
        if !retry || attempts == ATTEMPTS {
            return Err(Failed { reason, attempts });
        }
        std::thread::sleep(delay);
        delay *= 2;
        attempts += 1;
    }
}

/// What an error response says: the `message` (field 2) of a protobuf `google.rpc.Status`,
/// else the body as text (when it is text); at most 300 characters.
fn said(body: &[u8]) -> Option<String> {
    // `Some(message)` when the body parses as protobuf (`None` inside: no message field).
    let status_message = || -> Option<Option<String>> {
        let (mut i, mut found) = (0, None);
        while i < body.len() {
            let key = crate::varint::read(body, &mut i).ok()?;
            match key & 7 {
                0 => {
                    crate::varint::read(body, &mut i).ok()?;
                }
                2 => {
                    let n = usize::try_from(crate::varint::read(body, &mut i).ok()?).ok()?;
                    let end = i.checked_add(n).filter(|&e| e <= body.len())?;
                    if key >> 3 == 2 {
                        found = std::str::from_utf8(&body[i..end]).ok().map(str::to_string);
                    }
                    i = end;
                }
                _ => return None,
            }
        }
        Some(found)
    };
    let text = match status_message() {
        Some(message) => message?,
        None => std::str::from_utf8(body)
            .ok()
            .filter(|t| !t.chars().any(|c| c.is_control() && !c.is_whitespace()))?
            .to_string(),
    };
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    Some(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_checked_before_anything_is_sent() {
        assert_eq!(traces_url("http://localhost:4318").as_deref(), Ok("http://localhost:4318/v1/traces"));
        assert_eq!(traces_url("http://127.0.0.1:4318/").as_deref(), Ok("http://127.0.0.1:4318/v1/traces"));
        assert_eq!(traces_url("http://tempo:4318/v1/traces").as_deref(), Ok("http://tempo:4318/v1/traces"));
        assert_eq!(traces_url("http://gw/otlp").as_deref(), Ok("http://gw/otlp/v1/traces"));
        for bad in ["notaurl", "localhost:4318", "https://collector:4318", "ftp://x", "http://", ""] {
            assert!(traces_url(bad).is_err(), "{bad:?} accepted");
        }
        assert!(traces_url("https://c:4318").is_err_and(|e| e.contains("no TLS")));
    }

    /// A one-connection-at-a-time HTTP server on loopback answering each request with the
    /// next status of `statuses`; returns its URL and the number of requests it served.
    fn server(statuses: Vec<u16>) -> (String, std::thread::JoinHandle<usize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}/v1/traces", listener.local_addr().expect("address"));
        let handle = std::thread::spawn(move || {
            let mut served = 0;
            for status in statuses {
                let Ok((mut conn, _)) = listener.accept() else { break };
                let mut buf = [0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                served += 1;
                let body = b"\x0a\x02\x08\x03";
                let head =
                    format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                let _ = conn.write_all(head.as_bytes()).and_then(|()| conn.write_all(body));
            }
            served
        });
        (url, handle)
    }

    #[test]
    fn retries_what_a_retry_can_fix_and_stops_on_the_rest() {
        let (url, h) = server(vec![503, 429, 200]);
        let ok = export(&agent(), &url, b"x").expect("accepted on the third attempt");
        assert_eq!((ok.attempts, ok.response.as_slice()), (3, &b"\x0a\x02\x08\x03"[..]));
        assert_eq!(h.join().ok(), Some(3));

        let (url, h) = server(vec![400]);
        let err = export(&agent(), &url, b"x").expect_err("400 is final");
        // The body is protobuf without a message: nothing more to say.
        assert_eq!((err.attempts, err.reason.as_str()), (1, "HTTP 400"));
        assert_eq!(h.join().ok(), Some(1));
    }

    #[test]
    fn error_bodies_are_read_as_status_or_text() {
        assert_eq!(said(b"\x08\x03\x12\x05no id"), Some("no id".into()));
        assert_eq!(said(b"tenant 'x' unknown\n"), Some("tenant 'x' unknown".into()));
        assert_eq!(said(b"\x0a\x02\x08\x03"), None);
        assert_eq!(said(b"\x01\x02garbage\x00"), None);
        assert_eq!(said(&[b'a'; 400]).map(|s| s.chars().count()), Some(301));
    }
}
