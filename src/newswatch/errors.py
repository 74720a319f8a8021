"""Typed errors: transient ones are retried, permanent ones are not, config errors exit 2."""

from __future__ import annotations


class NewswatchError(Exception):
    """Base of every error newswatch raises on purpose."""


class TransientError(NewswatchError):
    """Worth retrying: timeouts, connection resets, HTTP 5xx and 429."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(NewswatchError):
    """Not worth retrying: 4xx, bad XML, refused addresses, oversized bodies."""


class RefusedError(PermanentError):
    """A URL we will not fetch: private address, forbidden scheme, file outside the feed folder."""


class FeedError(PermanentError):
    """Bytes that are not a feed we can read (and nothing could be salvaged)."""


class ExtractionError(PermanentError):
    """A page we could not turn into text."""


class ConfigError(NewswatchError):
    """Bad input or configuration: exit code 2. The message names file, line and field."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = ""
        if path:
            where = path if line is None else f"{path}:{line}"
        prefix = f"{where}: " if where else ""
        if field:
            prefix += f"{field}: "
        super().__init__(prefix + message)


class WarehouseLockedError(NewswatchError):
    """The warehouse could not be opened for writing within the lock timeout: exit code 3."""
