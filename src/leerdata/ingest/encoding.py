"""Detect a CSV's encoding and hand the parser UTF-8.

UTF-8 (with or without BOM) is read as is; otherwise Windows-1252 is tried. Python's
cp1252 codec is used on purpose: DuckDB's 'latin-1' maps 0x80-0x9F to control
characters, so '€' (0x80) or '‘' (0x91) would be silently corrupted. A byte that cp1252
leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) or a NUL byte (binary, UTF-16) means the
file is neither, and it is rejected whole.
"""

from __future__ import annotations

from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Decoded:
    utf8: bytes  # the content as UTF-8 without BOM
    encoding: str  # 'utf-8', 'utf-8-sig' or 'cp1252'


@dataclass(frozen=True)
class Undecodable:
    byte_offset: int
    byte_value: int

    @property
    def description(self) -> str:
        return f"byte 0x{self.byte_value:02X} at offset {self.byte_offset}"


def decode_to_utf8(raw: bytes) -> Decoded | Undecodable:
    body, encoding = (
        (raw[len(UTF8_BOM) :], "utf-8-sig") if raw.startswith(UTF8_BOM) else (raw, "utf-8")
    )
    nul = body.find(b"\x00")
    if nul >= 0:
        return Undecodable(nul, 0)
    if body.isascii():
        return Decoded(body, encoding)
    try:
        body.decode("utf-8")
        return Decoded(body, encoding)
    except UnicodeDecodeError:
        pass
    if encoding == "utf-8-sig":
        # A BOM promises UTF-8: invalid bytes after it are damage, not another codec.
        return _first_undecodable(body, "utf-8")
    try:
        return Decoded(body.decode("cp1252").encode("utf-8"), "cp1252")
    except UnicodeDecodeError:
        return _first_undecodable(body, "cp1252")


def _first_undecodable(body: bytes, codec: str) -> Undecodable:
    try:
        body.decode(codec)
    except UnicodeDecodeError as exc:
        return Undecodable(exc.start, body[exc.start])
    raise AssertionError("expected undecodable bytes")  # pragma: no cover
