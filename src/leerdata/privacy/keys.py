"""The pseudonymisation secret: 32 random bytes in a 0600 file outside the data dir.

Created on first use. Never passed to dbt as a variable (it would land in compiled SQL
under target/); the dbt plugin reads it from here inside the Python process.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

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


def load_or_create_key(path: Path | None = None) -> bytes:
    """The secret, created with 0600 permissions if it does not exist yet."""
    path = path or key_file_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_bytes(KEY_BYTES)
        # O_EXCL: two processes starting at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_key(path)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex() + "\n")
        return key
    _check_permissions(path)
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise KeyError_(f"key file {path} does not hold a hex key") from exc
    if len(key) != KEY_BYTES:
        raise KeyError_(f"key file {path} holds {len(key)} bytes, expected {KEY_BYTES}")
    return key
