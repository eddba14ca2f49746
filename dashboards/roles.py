"""Roles, the pages each may open, and the departments each user may see, read from
config/roles.toml.

Pure functions (no Streamlit) so the mapping can be tested on its own; auth.py decides
who the user is (OIDC via st.login/st.user, or the local demo mode) and asks here.

A user's access is a role (which pages) and a department scope (which rows). Both come
from one entry: the user's e-mail address under [users], else every group of the
identity's group claim under [groups], else the e-mail domain under [domains]. Nothing
matches, or groups that disagree on the role: no access (fail closed).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leerdata.config import REPO_ROOT

ROLES_FILE_ENV = "LEERDATA_ROLES_FILE"
DEFAULT_ROLES_FILE = REPO_ROOT / "config" / "roles.toml"
# In a roles file, this department "code" means every department (the service's staff).
EVERY_DEPARTMENT = "*"

# Every page the app knows, in menu order.
ALL_PAGES: tuple[str, ...] = (
    "overzicht",
    "deelname",
    "verrekening",
    "factuurcontrole",
    "evaluatie",
    "datakwaliteit",
)


@dataclass(frozen=True)
class Role:
    name: str
    label_nl: str
    label_en: str
    pages: tuple[str, ...]

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_nl


@dataclass(frozen=True)
class Scope:
    """The departments whose rows a user may see; `departments=None` is every department."""

    departments: frozenset[str] | None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def nothing(cls) -> Scope:
        return cls(frozenset())

    @classmethod
    def of(cls, codes: Iterable[str]) -> Scope:
        codes = {code.strip().upper() for code in codes}
        return cls.everything() if EVERY_DEPARTMENT in codes else cls(frozenset(codes))

    @property
    def is_everything(self) -> bool:
        return self.departments is None

    def codes(self) -> list[str]:
        """The department codes, sorted (empty for every department and for none)."""
        return sorted(self.departments or ())

    def label(self) -> str:
        return EVERY_DEPARTMENT if self.departments is None else ", ".join(self.codes())


@dataclass(frozen=True)
class Access:
    role: Role
    scope: Scope


@dataclass(frozen=True)
class Grant:
    """One entry of the roles file: a role and the departments it covers."""

    role: str
    scope: Scope


@dataclass(frozen=True)
class RoleConfig:
    roles: dict[str, Role]
    users: dict[str, Grant]
    groups: dict[str, Grant]
    domains: dict[str, Grant]
    groups_claim: str
    demo_enabled: bool
    demo_default_role: str

    def access_for(self, email: str | None, groups: Iterable[str] = ()) -> Access | None:
        """A logged-in user's access: by address, else by groups, else by domain, else none."""
        address = (email or "").strip().lower()
        if address and address in self.users:
            return self._access(self.users[address])
        matched = [self.groups[g] for g in _names(groups) if g in self.groups]
        if matched:
            if len({grant.role for grant in matched}) > 1:
                return None  # two roles at once is a mistake in the groups: refuse
            scopes = [grant.scope for grant in matched]
            if any(scope.is_everything for scope in scopes):
                return self._access(Grant(matched[0].role, Scope.everything()))
            codes = frozenset().union(*(scope.departments or () for scope in scopes))
            return self._access(Grant(matched[0].role, Scope(codes)))
        domain = address.rpartition("@")[2] if "@" in address else ""
        if domain and domain in self.domains:
            return self._access(self.domains[domain])
        return None

    def role_for_email(self, email: str | None) -> Role | None:
        access = self.access_for(email)
        return access.role if access else None

    def _access(self, grant: Grant) -> Access:
        return Access(self.roles[grant.role], grant.scope)


def _names(groups: Iterable[str] | str | None) -> list[str]:
    if groups is None:
        return []
    if isinstance(groups, str):  # a provider may send one group as a plain string
        groups = [groups]
    return [str(group).strip().lower() for group in groups]


class RoleConfigError(ValueError):
    pass


def roles_file() -> Path:
    return Path(os.environ.get(ROLES_FILE_ENV) or DEFAULT_ROLES_FILE)


def _grant(who: str, spec: Any, roles: dict[str, Role]) -> Grant:
    if not isinstance(spec, dict) or "role" not in spec or "departments" not in spec:
        raise RoleConfigError(
            f"{who}: give a role and its departments, e.g. "
            '{ role = "finance", departments = ["OCW"] } ("*" = every department)'
        )
    if spec["role"] not in roles:
        raise RoleConfigError(f"{who} is mapped to unknown role {spec['role']!r}")
    departments = spec["departments"]
    if isinstance(departments, str):
        departments = [departments]
    if not departments or not all(isinstance(code, str) and code.strip() for code in departments):
        raise RoleConfigError(f"{who}: departments must be a non-empty list of codes or '*'")
    return Grant(spec["role"], Scope.of(departments))


def load_roles(path: Path | None = None) -> RoleConfig:
    with (path or roles_file()).open("rb") as handle:
        raw = tomllib.load(handle)
    roles: dict[str, Role] = {}
    for name, spec in raw.get("roles", {}).items():
        pages = tuple(spec.get("pages", ()))
        unknown = set(pages) - set(ALL_PAGES)
        if unknown:
            raise RoleConfigError(f"role {name}: unknown pages {sorted(unknown)}")
        roles[name] = Role(
            name=name,
            label_nl=spec.get("label_nl", name),
            label_en=spec.get("label_en", name),
            # Menu order is the app's, whatever order the file lists them in.
            pages=tuple(p for p in ALL_PAGES if p in pages),
        )

    def grants(section: str) -> dict[str, Grant]:
        entries = raw.get(section, {})
        return {k.strip().lower(): _grant(f"[{section}] {k}", v, roles) for k, v in entries.items()}

    demo = raw.get("demo", {})
    default_role = demo.get("default_role", next(iter(roles), ""))
    if roles and default_role not in roles:
        raise RoleConfigError(f"demo.default_role {default_role!r} is not a role")
    return RoleConfig(
        roles=roles,
        users=grants("users"),
        groups=grants("groups"),
        domains=grants("domains"),
        groups_claim=str(raw.get("oidc", {}).get("groups_claim", "groups")),
        demo_enabled=bool(demo.get("enabled", False)),
        demo_default_role=default_role,
    )
