"""Retention and erasure in the restricted zone.

`apply_retention` erases people some years after they left and unlinks old enrolments
from their person; `erase_person` does both for one person now (GDPR art. 17). Both
freeze the attributes reporting needs first, so published aggregates stay the same.
"""

from leerdata.retention.apply import RetentionResult, apply_retention, erase_person

__all__ = ["RetentionResult", "apply_retention", "erase_person"]
