"""tracecheck: prove what a distributed system did by checking the OpenTelemetry spans it
emitted.

The same Rust code as the ``tracecheck`` command line, called in-process:

* :func:`check` gives the JSON report of ``tracecheck check`` as a dict;
* :func:`export` writes spans as Parquet in the Collector's ``otel_traces`` layout;
* :mod:`tracecheck.spark` runs the checks on a Spark DataFrame of spans.

Errors raise :class:`TracecheckError` with the message the command line prints.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Optional, Sequence, Union

from . import _native
from ._native import TracecheckError

__all__ = ["check", "export", "TracecheckError", "__version__"]
__version__: str = _native.VERSION

PathLike = Union[str, "os.PathLike[str]"]

_CHECK_OPTIONS = ("fail_on", "max_findings", "allow_empty")


def _paths(paths: Union[PathLike, Iterable[PathLike]]) -> list:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def _options(options: dict) -> tuple:
    unknown = sorted(set(options) - set(_CHECK_OPTIONS))
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(_CHECK_OPTIONS)}")
    fail_on = options.get("fail_on", "error")
    max_findings = int(options.get("max_findings", 100))
    allow_empty = bool(options.get("allow_empty", False))
    return fail_on, max_findings, allow_empty


def check(paths: Union[PathLike, Iterable[PathLike]], rules: Sequence[PathLike] = (), **options: Any) -> dict:
    """The JSON report of ``tracecheck check PATHS --rules RULES…`` as a dict.

    ``paths`` are dump files or directories in any format tracecheck reads (OTLP JSON or
    protobuf, Jaeger, Zipkin, SDK console output, Parquet in the ``otel_traces`` layout,
    compressed or not). Options: ``fail_on`` (``"error"``, ``"warning"`` or ``"info"``),
    ``max_findings`` (listed per code; every finding is counted), ``allow_empty``. The
    verdict is ``report["verdict"]``; its ``exit_code`` is the command line's.
    """
    fail_on, max_findings, allow_empty = _options(options)
    text = _native.check(_paths(paths), _paths(rules), fail_on, max_findings, allow_empty)
    return json.loads(text)


def export(paths: Union[PathLike, Iterable[PathLike]], out: PathLike, where: Optional[str] = None) -> int:
    """``tracecheck export PATHS -o OUT [--where WHERE]``: writes the spans (those the
    selector ``where`` matches, when given) as Parquet in the Collector's ``otel_traces``
    layout, and returns how many were written."""
    return _native.export(_paths(paths), os.fspath(out), where)
