//! Pass 0: stdin, pipes and compressed streams copied or decompressed to the temporary
//! directory, so their size is known and no input is held whole in memory.

use crate::input::{self, Sink};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// One input made ready for pass 1.
pub(super) enum Prepared {
    /// A regular file, or a `copy` of stdin or a pipe (removed once loaded), loaded as it is.
    Plain { shown: String, path: PathBuf, copy: bool },
    /// A gzip or zstd stream decompressed to `path`.
    Inflated { shown: String, path: PathBuf, raw_len: usize, compression: input::Compression, error: Option<io::Error> },
    /// An input that could not be read.
    Unreadable { shown: String, error: io::Error },
}

impl Prepared {
    /// The bytes pass 1 will decode, if known.
    pub(super) fn content_len(&self) -> Option<u64> {
        match self {
            Prepared::Plain { path, .. } | Prepared::Inflated { path, .. } => {
                std::fs::metadata(path).ok().map(|m| m.len())
            }
            Prepared::Unreadable { .. } => Some(0),
        }
    }
}

/// Makes one input ready to be loaded without holding it whole in memory: stdin and pipes are
/// copied to `spool`, gzip and zstd streams decompressed to it, so that pass 1 decodes a
/// memory map whose pages are given back as they are decoded. Returns the input and the bytes
/// written; `Err` when the spool files cannot be written.
pub(super) fn prepare(path: &Path, spool: &Path) -> io::Result<(Prepared, u64)> {
    let shown = path.display().to_string();
    let unreadable = |error| Ok((Prepared::Unreadable { shown: shown.clone(), error }, 0));
    let mut written = 0;
    let piped = input::is_stdin(path) || std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    let plain = if piped {
        let mut from: Box<dyn Read> = if input::is_stdin(path) {
            Box::new(io::stdin().lock())
        } else {
            match File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => return unreadable(e),
            }
        };
        let copied = spool.with_extension("raw");
        let mut to = BufWriter::new(File::create(&copied)?);
        if let Some(e) = input::container::pump(&mut from, &mut to)? {
            return unreadable(e);
        }
        to.flush()?;
        written += to.get_ref().metadata()?.len();
        copied
    } else {
        path.to_path_buf()
    };
    let mut head = [0u8; 8];
    let n = match File::open(&plain).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        // Let the load report it as it would in memory.
        Err(_) => return Ok((Prepared::Plain { shown, path: plain, copy: piped }, written)),
    };
    let compression = input::container::detect_compression(&head[..n]);
    if !matches!(compression, input::Compression::Gzip | input::Compression::Zstd) {
        return Ok((Prepared::Plain { shown, path: plain, copy: piped }, written));
    }
    let src = match input::source::Source::open(&plain) {
        Ok(src) => src,
        Err(e) => return unreadable(e),
    };
    let inflated = spool.with_extension("inflated");
    let mut to = BufWriter::new(File::create(&inflated)?);
    let error = input::container::inflate_to(src.bytes(), compression, &mut to)?;
    to.flush()?;
    written += to.get_ref().metadata()?.len();
    let raw_len = src.bytes().len();
    drop(src);
    if piped {
        std::fs::remove_file(&plain)?;
    }
    Ok((Prepared::Inflated { shown, path: inflated, raw_len, compression, error }, written))
}

/// Loads a prepared input into `sink`, as [`input::load_path`] loads the input itself, and
/// removes its spool file.
pub(super) fn load_prepared(sink: &mut Sink<'_>, p: Prepared, opts: &input::LoadOptions) -> io::Result<()> {
    match p {
        Prepared::Unreadable { shown, error } => {
            sink.loaded.errors.push(input::LoadError { path: shown, message: error.to_string() });
        }
        Prepared::Plain { shown, path, copy } => {
            input::load_path(sink, &path, &shown, opts);
            if copy {
                std::fs::remove_file(&path)?;
            }
        }
        Prepared::Inflated { shown, path, raw_len, compression, error } => {
            let content = input::source::Source::open(&path)?;
            input::load_inflated(sink, &shown, raw_len, compression, &content, error, opts);
            drop(content);
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
