//! The temporary directory of a streaming run, removed when the run ends or is interrupted.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A directory removed with everything in it when dropped, or when the process is
/// interrupted (SIGINT, SIGTERM, SIGHUP) while it exists.
pub(super) struct TempDir(pub(super) PathBuf);

/// Temporary directories of runs in progress, for the interrupt handler.
pub(super) static LIVE_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

impl TempDir {
    pub(super) fn new(base: &Path) -> io::Result<TempDir> {
        remove_on_interrupt();
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        for attempt in 0..100u32 {
            let p = base.join(format!("tracecheck-{}-{stamp}-{attempt}", std::process::id()));
            match std::fs::create_dir(&p) {
                Ok(()) => {
                    LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner()).push(p.clone());
                    return Ok(TempDir(p));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(io::ErrorKind::AlreadyExists, "no fresh directory name"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| *p != self.0);
    }
}

/// Once per process: a thread that waits for SIGINT, SIGTERM or SIGHUP, removes the live
/// temporary directories and exits with 128 + the signal number, as the shell expects of a
/// process killed by it. Partition files can be as large as the dump: an interrupted run
/// must not leave them behind.
pub(super) fn remove_on_interrupt() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
            std::thread::spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let dirs = LIVE_DIRS.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    for dir in dirs {
                        // Workers may still be adding files: try again if a pass loses.
                        for _ in 0..5 {
                            if std::fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                                break;
                            }
                        }
                    }
                    std::process::exit(128 + signal);
                }
            });
        });
    }
}
