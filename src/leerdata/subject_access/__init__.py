"""GDPR art. 15: everything the warehouse holds about one person, as a JSON file."""

from leerdata.subject_access.export import SubjectAccessError, collect, write_export

__all__ = ["SubjectAccessError", "collect", "write_export"]
