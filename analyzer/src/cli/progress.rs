//! A progress line on stderr while inputs load: bytes read of the total, and spans so far.
//! Only on a terminal, and only once loading has taken more than a moment.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracecheck::input::Progress;

/// Nothing is drawn for loads shorter than this.
const DELAY: Duration = Duration::from_millis(400);

#[derive(Debug)]
pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn total_bytes(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .map(|f| match std::fs::metadata(f) {
            Ok(m) if m.is_dir() => std::fs::read_dir(f)
                .map(|d| d.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

impl Bar {
    /// Returns the counters to give the loader, and the bar drawing them (if any).
    pub fn start(files: &[PathBuf]) -> (Option<Arc<Progress>>, Bar) {
        let idle = Bar { stop: Arc::new(AtomicBool::new(false)), thread: None };
        if !std::io::stderr().is_terminal() {
            return (None, idle);
        }
        let total = total_bytes(files).max(1);
        let progress = Arc::new(Progress::default());
        let (p, stop) = (progress.clone(), idle.stop.clone());
        let thread = std::thread::Builder::new().name("progress".into()).spawn(move || {
            std::thread::sleep(DELAY);
            let mut drawn = false;
            while !stop.load(Ordering::Acquire) {
                let done = p.bytes.load(Ordering::Relaxed).min(total);
                let spans = p.spans.load(Ordering::Relaxed);
                if done >= total {
                    let _ = write!(std::io::stderr().lock(), "\r\x1b[2Kanalysing {spans} spans…");
                    drawn = true;
                    std::thread::sleep(Duration::from_millis(150));
                    continue;
                }
                let width = 30usize;
                let filled = (done as u128 * width as u128 / total as u128) as usize;
                let _ = write!(
                    std::io::stderr().lock(),
                    "\r\x1b[2Kreading {:.1}/{:.1} MB [{}{}] {:>3}%  {spans} spans",
                    done as f64 / 1e6,
                    total as f64 / 1e6,
                    "#".repeat(filled),
                    ".".repeat(width - filled),
                    done * 100 / total
                );
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
