"""Every command fails the same way: one line naming the cause, exit code 2.

A traceback tells an analyst nothing they can act on ("No space left on device" buried
under forty lines of DuckDB internals) and, printed raw, can carry log-controlled text
to the terminal. Commands catch the failures they expect and say what to do; anything
else that escapes a command is caught once, here, by the command group, and shown as
one cleaned line. ``farmhunt --debug`` lets the traceback through for a bug report.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from farmhunt.termsafe import PATH_LIMIT, text

FAILED = 2
"""The exit code of a command that could not do its work."""

DEBUG_KEY = "farmhunt.debug"
"""Where the root callback leaves ``--debug`` in the context's shared ``meta``."""

_PASS_THROUGH = (typer.Exit, typer.Abort, typer.TyperException)
"""Exceptions the command-line framework turns into exits and usage errors itself."""


def describe(exc: BaseException) -> str:
    """One line naming the cause of a failure, without the traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        cause = f"{exc.strerror}: {where}" if where != "" else exc.strerror
        if exc.errno == errno.ENOSPC and "No space left" not in cause:
            return f"No space left on device ({cause})"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"cannot write or read here ({cause})"
        return cause
    if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
        return f"the workspace is read-only ({exc})"
    if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc):
        return f"No space left on device (the manifest: {exc})"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    message = str(exc).strip().splitlines()
    first = message[0] if message else ""
    if first and type(exc).__module__.startswith("farmhunt."):
        return first  # farmhunt's own errors are written to be read as they are
    name = type(exc).__name__
    return f"{name}: {first}" if first else name


class FailureGroup(TyperGroup):
    """The ``farmhunt`` command group: any failure a command did not expect is one line.

    Nested groups (``farmhunt rules …``) run inside the root group's ``invoke``, so
    this one handler covers every command.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            if ctx.meta.get(DEBUG_KEY):
                raise
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            err.print(text(f"error: {describe(exc)}", "red", limit=PATH_LIMIT))
            raise typer.Exit(FAILED) from None
