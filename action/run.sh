#!/usr/bin/env bash
# The GitHub Action's steps (action.yml at the repository root runs this script):
#   run.sh install   builds tracecheck from the action's checkout unless one is on PATH
#   run.sh check     checks the dumps: annotations on stdout, the Markdown summary appended to
#                    $GITHUB_STEP_SUMMARY, SARIF (and JUnit when asked) written; the exit code
#                    goes to $GITHUB_OUTPUT so the SARIF upload runs before the job fails.
# Inputs arrive as INPUT_* variables; $TRACECHECK names the binary (default: tracecheck).
set -euo pipefail

bin="${TRACECHECK:-tracecheck}"

case "${1:-}" in
install)
    if command -v "$bin" >/dev/null 2>&1; then
        echo "tracecheck: using $(command -v "$bin") ($("$bin" --version))"
        exit 0
    fi
    root="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
    cargo install --locked --path "$root/analyzer" --root "${RUNNER_TEMP:-/tmp}/tracecheck"
    echo "${RUNNER_TEMP:-/tmp}/tracecheck/bin" >>"${GITHUB_PATH:-/dev/null}"
    ;;
check)
    : "${INPUT_FILES:?the action needs files: the trace dumps to check}"
    args=(check)
    read -r -a files <<<"$INPUT_FILES"
    args+=("${files[@]}")
    if [ -n "${INPUT_RULES:-}" ]; then
        read -r -a packs <<<"$INPUT_RULES"
        for p in "${packs[@]}"; do args+=(--rules "$p"); done
    fi
    args+=(--fail-on "${INPUT_FAIL_ON:-error}" --format github --progress never)
    sarif="${INPUT_SARIF:-tracecheck.sarif}"
    args+=(--report "sarif=$sarif")
    if [ -n "${INPUT_JUNIT:-}" ]; then args+=(--report "junit=$INPUT_JUNIT"); fi
    if [ -n "${INPUT_ARGS:-}" ]; then
        read -r -a extra <<<"$INPUT_ARGS"
        args+=("${extra[@]}")
    fi
    set +e
    "$bin" "${args[@]}"
    code=$?
    set -e
    {
        echo "exit-code=$code"
        echo "sarif=$sarif"
    } >>"${GITHUB_OUTPUT:-/dev/null}"
    ;;
*)
    echo "usage: run.sh install|check" >&2
    exit 2
    ;;
esac
