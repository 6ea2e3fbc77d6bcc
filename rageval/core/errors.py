"""Exceptions users see: each names what is wrong and where."""
from __future__ import annotations


class RagevalError(Exception):
    """Base class of rageval's own errors."""


class FieldError(RagevalError, ValueError):
    """A canonical field is missing or has the wrong type in the user's data."""

    def __init__(self, field: str, column: str, row: int | None, problem: str) -> None:
        where = f" at row {row}" if row is not None else ""
        col = f" (column {column!r})" if column != field else ""
        super().__init__(f"field {field!r}{col}{where}: {problem}")
        self.field, self.column, self.row, self.problem = field, column, row, problem


class ConfigError(RagevalError, ValueError):
    """A task file, run directory or argument does not fit."""


class UnknownScorerError(ConfigError, KeyError):
    """No scorer is registered under that name."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class IncompatibleError(RagevalError, ValueError):
    """Results that cannot be merged or compared: their scorers, signatures or states differ."""
