"""Exceptions. Every message says what went wrong and what to do about it."""

from __future__ import annotations


class ReviewerError(Exception):
    """Base class for errors the CLI reports as a one-line message (exit code 1)."""


class InputError(ReviewerError):
    """A record in an input file is invalid. Carries file, line and field."""

    def __init__(self, path: str, line: int, field: str, problem: str) -> None:
        self.path, self.line, self.field, self.problem = path, line, field, problem
        where = f"line {line} of {path}" if line else path
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


class RuleError(ReviewerError):
    """The rule catalog is invalid (bad TOML, unknown matcher, duplicate id)."""


class ConfigError(ReviewerError):
    """Configuration is missing or wrong (no API key, unknown judge, bad option)."""


class JudgeError(ReviewerError):
    """A judge could not produce a valid verdict for one candidate."""
