//! A minimal OTLP/HTTP receiver for tests (shared with the emitter's tests by `#[path]`):
//! it answers the first request 503 (the sender must retry), then 200, and returns the body of
//! every request it accepted once it has been idle for 3 seconds.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::time::{Duration, Instant};

/// The receiver's base URL and the thread that returns the accepted bodies.
pub fn start() -> (String, std::thread::JoinHandle<Vec<Vec<u8>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    listener.set_nonblocking(true).expect("nonblocking");
    let handle = std::thread::spawn(move || {
        let (mut bodies, mut first, mut idle) = (Vec::new(), true, Instant::now());
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).expect("blocking");
                    let mut reader = BufReader::new(stream);
                    // Keep-alive requests on one connection are read in a loop.
                    loop {
                        let mut request = String::new();
                        if reader.read_line(&mut request).unwrap_or(0) == 0 {
                            break;
                        }
                        assert!(request.starts_with("POST /v1/traces "), "{request}");
                        let mut length = 0;
                        loop {
                            let mut header = String::new();
                            reader.read_line(&mut header).expect("header");
                            if header.trim().is_empty() {
                                break;
                            }
                            if let Some((k, v)) = header.split_once(':') {
                                if k.eq_ignore_ascii_case("content-length") {
                                    length = v.trim().parse().expect("length");
                                }
                                if k.eq_ignore_ascii_case("content-type") {
                                    assert_eq!(v.trim(), "application/x-protobuf");
                                }
                            }
                        }
                        let mut body = vec![0; length];
                        reader.read_exact(&mut body).expect("body");
                        let status = if std::mem::take(&mut first) { "503 Service Unavailable" } else { "200 OK" };
                        if status.starts_with("200") {
                            bodies.push(body);
                        }
                        let out = reader.get_mut();
                        write!(out, "HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").expect("respond");
                        out.flush().expect("flush");
                    }
                    idle = Instant::now();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if idle.elapsed() > Duration::from_secs(3) {
                        return bodies;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    });
    (url, handle)
}
