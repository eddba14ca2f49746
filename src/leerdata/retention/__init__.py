"""Retention and erasure in the restricted zone.

`apply_retention` erases people some years after they left and unlinks old enrolments
from their person; `erase_person` does both for one person now (GDPR art. 17). Both
freeze the attributes reporting needs first, so published aggregates stay the same.

`leerdata.retention.apply` (and the build it calls) is imported when one of its names is
first used: `leerdata build` needs only `leerdata.retention.tables`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leerdata.retention.apply import RetentionResult, apply_retention, erase_person

__all__ = ["RetentionResult", "apply_retention", "erase_person"]


def __getattr__(name: str) -> Any:  # PEP 562: apply's names, on first use
    if name in __all__:
        return getattr(import_module("leerdata.retention.apply"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
