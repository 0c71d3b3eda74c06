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
        if super::is_stdin(path) {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf)?;
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

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Source::Mapped(m) => m,
            Source::Owned(v) => v,
        }
    }
}
