//! The exit status of every command, as the README documents it.

use std::process::ExitCode;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: nothing at or above the failure threshold.
    Pass,
    /// 1: findings at or above `--fail-on`, an inconclusive or failed rule, a regression
    /// (`diff`), spans not accepted (`replay`).
    Fail,
    /// 2: bad usage, a broken rule pack, an unknown code or trace.
    Usage,
    /// 3: unreadable or empty input.
    Unusable,
    /// 4: the run could not be completed: the report, or a temporary file of the
    /// streaming mode, could not be written.
    Incomplete,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Pass => 0,
            Exit::Fail => 1,
            Exit::Usage => 2,
            Exit::Unusable => 3,
            Exit::Incomplete => 4,
        }
    }

    /// [`Exit::Fail`] when `failed`, else [`Exit::Pass`].
    pub fn failed_if(failed: bool) -> Exit {
        if failed { Exit::Fail } else { Exit::Pass }
    }
}

impl From<tracecheck::report::Outcome> for Exit {
    fn from(o: tracecheck::report::Outcome) -> Exit {
        use tracecheck::report::Outcome;
        match o {
            Outcome::Pass => Exit::Pass,
            Outcome::Fail => Exit::Fail,
            Outcome::RuleError => Exit::Usage,
            Outcome::Unusable => Exit::Unusable,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracecheck::report::Outcome;

    #[test]
    fn a_report_outcome_keeps_its_exit_code() {
        for o in [Outcome::Pass, Outcome::Fail, Outcome::RuleError, Outcome::Unusable] {
            assert_eq!(Exit::from(o).code(), o.exit_code(), "{o:?}");
        }
    }
}
