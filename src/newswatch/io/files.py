"""Local feeds and pages: read a file only if it really lies inside the feed's folder, size-capped."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from newswatch.errors import PermanentError, RefusedError
from newswatch.models import Settings


def local_path(path_or_file_url: str, *, base_dir: Path) -> Path:
    """The absolute path a relative path or file:// URL names (relative ones are taken from base_dir).

    Raises RefusedError for URLs of another scheme and file URLs naming a remote host.
    """
    text = path_or_file_url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise RefusedError(f"refused: file URL on a remote host: {text[:120]}")
        if "\x00" in parts.path:
            raise RefusedError("refused: NUL byte in file URL")
        return Path(url2pathname(parts.path))
    if len(scheme) > 1:  # http:, mailto:, data: ... (one letter would be a Windows drive)
        raise RefusedError(f"refused: not a local path: {text[:120]}")
    if "\x00" in text:
        raise RefusedError("refused: NUL byte in path")
    path = Path(text)
    return path if path.is_absolute() else base_dir / path


def read_local(path_or_file_url: str, *, base_dir: Path,
               max_bytes: int = Settings.max_bytes) -> bytes:
    """Bytes of a file inside base_dir (after resolving symlinks and ..), at most max_bytes.

    RefusedError if it resolves outside base_dir; PermanentError if missing, not a regular file, or
    larger than max_bytes.
    """
    path = local_path(path_or_file_url, base_dir=base_dir)
    try:
        root = base_dir.resolve(strict=True)
        # resolve() follows every symlink, so a link inside the folder pointing out of it is caught.
        real = path.resolve(strict=True)
    except FileNotFoundError as exc:
        raise PermanentError(f"file not found: {path}") from exc
    except (OSError, RuntimeError) as exc:  # RuntimeError: symlink loop on some Pythons
        raise PermanentError(f"cannot resolve {path}: {exc}") from exc
    if not real.is_relative_to(root):
        raise RefusedError(f"refused: {path} is outside the feed folder {root}")
    if not real.is_file():
        raise PermanentError(f"not a regular file: {path}")
    try:
        # O_NOFOLLOW on the resolved path: if it was swapped for a symlink since resolve(), fail.
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PermanentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise PermanentError(f"file {path.name} exceeds max_bytes={max_bytes}")
    return data
