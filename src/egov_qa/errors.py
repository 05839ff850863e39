"""Errors raised by egov-qa; each says what failed, what was found and the fix."""

from __future__ import annotations


class EgovQAError(Exception):
    """Base class of every error egov-qa raises on purpose."""


class ConfigError(EgovQAError):
    """A setting has a value egov-qa cannot use."""


class ModelError(EgovQAError):
    """An embedding model cannot be found, loaded or verified."""


class IndexNotFoundError(EgovQAError):
    """No index exists at the given folder."""


class IndexCorruptError(EgovQAError):
    """An index folder exists but its files are unreadable or inconsistent."""


class IndexMismatchError(EgovQAError):
    """An index was built with another model or format version than the one asked for."""


class CorpusError(EgovQAError):
    """A corpus folder or document cannot be used at all."""


class QueryError(EgovQAError):
    """A query is empty or otherwise unusable."""
