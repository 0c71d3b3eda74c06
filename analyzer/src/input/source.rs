//! Raw bytes of an input: a memory map for files, a buffer for stdin.

use std::io::Read;
use std::path::Path;

/// The bytes of one input, kept alive while they are decoded.
#[derive(Debug)]
pub enum Source {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Source {
    /// Opens `path` (`-` is stdin). Files are memory-mapped; empty files and stdin are read.
    pub fn open(path: &Path) -> std::io::Result<Source> {
        Source::open_counted(path, None)
    }

    /// As [`Source::open`], counting the bytes read from stdin in `progress` as they come
    /// (a slow pipe shows how much arrived).
    pub fn open_counted(path: &Path, progress: Option<&super::Progress>) -> std::io::Result<Source> {
        if super::is_stdin(path) {
            let mut buf = Vec::new();
            let mut stdin = std::io::stdin().lock();
            let mut chunk = vec![0u8; 1 << 20];
            loop {
                let n = match stdin.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                buf.extend_from_slice(&chunk[..n]);
                if let Some(p) = progress {
                    p.received.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                }
            }
            return Ok(Source::Owned(buf));
        }
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 {
            let mut buf = Vec::new();
            (&file).read_to_end(&mut buf)?;
            return Ok(Source::Owned(buf));
        }
        // SAFETY: the map is read-only and private to this process; a file truncated by
        // another process while we read it is outside what the tool can defend against,
        // as for every reader of memory-mapped files.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(Source::Mapped(map))
    }

    /// Gives back the memory of `bytes()[start..end]` once it has been decoded: the mapped
    /// pages wholly inside the range leave this process (they stay in the page cache, and a
    /// later read would fetch them again), so the input does not add to peak memory.
    pub fn release(&self, start: usize, end: usize) {
        #[cfg(unix)]
        if let Source::Mapped(m) = self {
            const PAGE: usize = 4096;
            let (from, to) = (start.div_ceil(PAGE) * PAGE, (end.min(m.len()) / PAGE) * PAGE);
            if to > from {
                // SAFETY: the map is a read-only shared file mapping, so dropping its pages
                // loses nothing (they are re-read from the file if touched again), and no
                // borrowed slice into the range is used after its records are decoded.
                let _ = unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from) };
            }
        }
        #[cfg(not(unix))]
        let _ = (start, end);
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Source::Mapped(m) => m,
            Source::Owned(v) => v,
        }
    }
}
