//! The `tracecheck` binary: parse arguments, run, map the result to an exit code.

mod cli;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    keep_freed_memory();
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

/// Tells mimalloc never to return freed pages to the kernel. A run frees and allocates
/// hundreds of MB (decoded batches, grouping keys, digests) and then exits; returned pages
/// come back as fresh ones that the kernel zeroes again, which on a VM costs more than
/// the work done in them. Peak memory does not grow: freed pages are reused, not added.
fn keep_freed_memory() {
    // SAFETY: mimalloc's option setter takes any option number and value, and is called
    // before any other thread exists.
    unsafe {
        if mi_option_get(MI_OPTION_PURGE_DELAY) == 1000 {
            mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: as in `keep_freed_memory`; reading an option has no precondition.
        let default = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1000, "option {MI_OPTION_PURGE_DELAY} is not mimalloc's purge delay");
        keep_freed_memory();
        // SAFETY: as above.
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
    }
}
