"""Roles and the pages each may open, read from config/roles.toml.

Pure functions (no Streamlit) so the mapping can be tested on its own; app.py decides
who the user is (OIDC via st.login/st.user, or the local demo mode) and asks here.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from leerdata.config import REPO_ROOT

ROLES_FILE_ENV = "LEERDATA_ROLES_FILE"
DEFAULT_ROLES_FILE = REPO_ROOT / "config" / "roles.toml"

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
class RoleConfig:
    roles: dict[str, Role]
    users: dict[str, str]
    domains: dict[str, str]
    demo_enabled: bool
    demo_default_role: str

    def role_for_email(self, email: str | None) -> Role | None:
        """The role of a logged-in user: by address, else by domain, else none."""
        if not email:
            return None
        address = email.strip().lower()
        name = self.users.get(address) or self.domains.get(address.rpartition("@")[2])
        return self.roles.get(name) if name else None


class RoleConfigError(ValueError):
    pass


def roles_file() -> Path:
    return Path(os.environ.get(ROLES_FILE_ENV) or DEFAULT_ROLES_FILE)


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
    users = {k.lower(): v for k, v in raw.get("users", {}).items()}
    domains = {k.lower(): v for k, v in raw.get("domains", {}).items()}
    for who, role in {**users, **domains}.items():
        if role not in roles:
            raise RoleConfigError(f"{who} is mapped to unknown role {role!r}")
    demo = raw.get("demo", {})
    default_role = demo.get("default_role", next(iter(roles), ""))
    if roles and default_role not in roles:
        raise RoleConfigError(f"demo.default_role {default_role!r} is not a role")
    return RoleConfig(
        roles=roles,
        users=users,
        domains=domains,
        demo_enabled=bool(demo.get("enabled", False)),
        demo_default_role=default_role,
    )
