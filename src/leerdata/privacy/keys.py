"""The pseudonymisation secret: 32 random bytes in a 0600 file outside the data dir.

Created on first use. Never passed to dbt as a variable (it would land in compiled SQL
under target/); the dbt plugin reads it from here inside the Python process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from leerdata.atomic_file import fsync_path
from leerdata.errors import LeerdataError

KEY_FILE_ENV = "LEERDATA_KEY_FILE"
KEY_BYTES = 32


class KeyError_(LeerdataError):
    """The key file is unsafe or unreadable; the message says what to do."""


def default_key_file() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "leerdata" / "pseudonym.key"


def key_file_path() -> Path:
    override = os.environ.get(KEY_FILE_ENV)
    return Path(override).expanduser().resolve() if override else default_key_file()


def _check_permissions(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyError_(
            f"key file {path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
        )


def ensure_outside(data_dir: Path, path: Path | None = None) -> None:
    """Refuse a key file that lives inside the data directory it protects."""
    path = (path or key_file_path()).resolve()
    if path.is_relative_to(Path(data_dir).resolve()):
        raise KeyError_(
            f"key file {path} is inside the data dir {data_dir}; "
            f"set {KEY_FILE_ENV} to a path outside it"
        )


def _create_key(path: Path) -> None:
    """Write a fresh key to `path` unless another process got there first.

    The key is written to a private temp file and hard-linked into place: os.link fails
    when the target exists, so two processes starting at once end up with one key, and a
    reader never sees a half-written file (which O_EXCL alone would allow).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=".pseudonym-", dir=path.parent)  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    # the link itself on disk: a key lost in a power cut after a build used it would be
    # replaced by a new one, and every pseudonym would change
    fsync_path(path.parent)


def load_or_create_key(path: Path | None = None) -> bytes:
    """The secret, created with 0600 permissions if it does not exist yet."""
    path = path or key_file_path()
    if not path.exists():
        _create_key(path)
    return _read_key(path)


def load_existing_key(data_dir: Path) -> bytes:
    """The key the warehouse was built with, checked as a build checks it; never created.

    Commands that look people up by their pseudonyms (subject access, finishing a
    pending erasure) need the existing key: a fresh one would find nothing and would be
    left behind for later builds.
    """
    ensure_outside(data_dir)
    path = key_file_path()
    if not path.exists():
        raise KeyError_(
            f"no key file at {path}; this command needs the key the warehouse was built "
            f"with (set {KEY_FILE_ENV} to it); it never creates one"
        )
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    _check_permissions(path)
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise KeyError_(f"key file {path} does not hold a hex key") from exc
    if len(key) != KEY_BYTES:
        raise KeyError_(f"key file {path} holds {len(key)} bytes, expected {KEY_BYTES}")
    return key
