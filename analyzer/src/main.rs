//! The `tracecheck` binary: parse arguments, run, map the result to an exit code.

mod cli;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    purge_freed_memory_soon();
    cli::main()
}

/// mimalloc's `mi_option_purge_delay`, by its place in `mi_option_e` (`mimalloc.h`; the
/// Rust binding names no constant for it). Its default is 1000 ms, which the test below
/// checks, so a renumbering in a mimalloc update fails the test instead of setting another
/// option.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// What mimalloc waits before it gives freed pages back to the kernel, in milliseconds.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Tells mimalloc to give freed pages back to the kernel after [`PURGE_DELAY_MS`] instead of
/// its default second. A run frees large buffers (decoded batches, digests, grouping keys)
/// between its phases, all within a second: kept, they add to the peak (on a 500 MB
/// services-shaped dump, 320 MB peak RSS instead of 255-265 MB), while the time measured
/// for giving them back and zeroing fresh pages again is within the runs' noise
/// (`benches/README.md`, seventh session). A user's own `MIMALLOC_PURGE_DELAY` is left alone.
fn purge_freed_memory_soon() {
    // SAFETY: mimalloc's option setter takes any option number and value, and is called
    // before any other thread exists.
    unsafe {
        if mi_option_get(MI_OPTION_PURGE_DELAY) == 1000 {
            mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: as in `purge_freed_memory_soon`; reading an option has no precondition.
        let default = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1000, "option {MI_OPTION_PURGE_DELAY} is not mimalloc's purge delay");
        purge_freed_memory_soon();
        // SAFETY: as above.
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, PURGE_DELAY_MS);
    }
}
