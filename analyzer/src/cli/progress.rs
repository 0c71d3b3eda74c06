//! A progress line on stderr while inputs load: bytes decoded (of the total, when known) and
//! spans so far, then the analysis. Only on a terminal, and only once loading has taken more
//! than a moment.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracecheck::input::{Inputs, Progress};

/// When the progress line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum When {
    Auto,
    Never,
    Always,
}

static MODE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Sets when the progress line is drawn (`--progress`, `--quiet`).
pub fn set_mode(w: When) {
    MODE.store(w as u8, Ordering::Relaxed);
}

fn draws() -> bool {
    match MODE.load(Ordering::Relaxed) {
        m if m == When::Never as u8 => false,
        m if m == When::Always as u8 => true,
        _ => std::io::stderr().is_terminal(),
    }
}

/// Nothing is drawn for loads shorter than this.
const DELAY: Duration = Duration::from_millis(400);

#[derive(Debug)]
pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The bytes of every input, or `None` when one of them has no size to go by (stdin, a pipe).
fn total_bytes(inputs: &Inputs) -> Option<u64> {
    let mut total = 0;
    for f in &inputs.files {
        if tracecheck::input::is_stdin(f) {
            return None;
        }
        match std::fs::metadata(f) {
            Ok(m) if m.is_file() => total += m.len(),
            Ok(_) => return None,
            // The load reports it.
            Err(_) => {}
        }
    }
    Some(total)
}

/// The progress line: the share of the input decoded when its size is known, the bytes
/// decoded when not, and the spans so far; once every input is read, the analysis.
fn line(done: u64, received: u64, total: Option<u64>, spans: u64, loaded: bool) -> String {
    const WIDTH: u64 = 30;
    if loaded {
        return format!("analysing {spans} spans…");
    }
    match total {
        Some(total) => {
            let total = total.max(1);
            let done = done.min(total);
            let filled = (done as u128 * WIDTH as u128 / total as u128) as usize;
            format!(
                "reading {:.1}/{:.1} MB [{}{}] {:>3}%  {spans} spans",
                done as f64 / 1e6,
                total as f64 / 1e6,
                "#".repeat(filled),
                ".".repeat(WIDTH as usize - filled),
                done * 100 / total
            )
        }
        None if received > done => format!(
            "reading: {:.1} MB received, {:.1} MB decoded, {spans} spans",
            received as f64 / 1e6,
            done as f64 / 1e6
        ),
        None => format!("reading: {:.1} MB decoded, {spans} spans", done as f64 / 1e6),
    }
}

impl Bar {
    /// Returns the counters to give the loader, and the bar drawing them (if any).
    pub fn start(inputs: &Inputs) -> (Option<Arc<Progress>>, Bar) {
        let idle = Bar { stop: Arc::new(AtomicBool::new(false)), thread: None };
        if !draws() {
            return (None, idle);
        }
        let total = total_bytes(inputs);
        let progress = Arc::new(Progress::default());
        let (p, stop) = (progress.clone(), idle.stop.clone());
        let thread = std::thread::Builder::new().name("progress".into()).spawn(move || {
            std::thread::sleep(DELAY);
            let mut drawn = false;
            while !stop.load(Ordering::Acquire) {
                let text = line(
                    p.bytes.load(Ordering::Relaxed),
                    p.received.load(Ordering::Relaxed),
                    total,
                    p.spans.load(Ordering::Relaxed),
                    p.loaded.load(Ordering::Acquire),
                );
                let _ = write!(std::io::stderr().lock(), "\r\x1b[2K{text}");
                drawn = true;
                std::thread::sleep(Duration::from_millis(150));
            }
            if drawn {
                let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
            }
        });
        (Some(progress), Bar { thread: thread.ok(), ..idle })
    }

    /// Stops drawing and clears the line.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn the_line_says_what_is_known_of_the_input() {
        assert_eq!(line(0, 0, Some(0), 0, false), "reading 0.0/0.0 MB [..............................]   0%  0 spans");
        assert_eq!(
            line(120_000_000, 0, Some(480_000_000), 62_500, false),
            "reading 120.0/480.0 MB [#######.......................]  25%  62500 spans"
        );
        // Compressed input is counted in input bytes scaled from the text: never past the end.
        assert_eq!(
            line(500_000_000, 0, Some(480_000_000), 10, false),
            "reading 480.0/480.0 MB [##############################] 100%  10 spans"
        );
        assert_eq!(line(3_260_000, 0, None, 7, false), "reading: 3.3 MB decoded, 7 spans");
        // A slow pipe: what arrived, before any of it is decoded.
        assert_eq!(line(0, 5_200_000, None, 0, false), "reading: 5.2 MB received, 0.0 MB decoded, 0 spans");
        assert_eq!(line(3_260_000, 0, None, 7, true), "analysing 7 spans…");
        assert_eq!(line(3_260_000, 0, Some(9_000_000), 7, true), "analysing 7 spans…");
    }
}
