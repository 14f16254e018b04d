"""The README's permission tables agree with the code, so the documentation a reviewer reads is
the table the permission matrix test enforces:

* the roles table (capability x role, yes/no) is ``opsdesk.roles.ROLE_CAPABILITIES``;
* the REST API table (path, methods, needs) names every route of the URL conf (by router
  basename), the methods each serves, and the capabilities ``REQUIRED`` of
  ``test_permission_matrix`` states for reads and writes (which that test checks against the
  real answers of every route x method x role).

A new endpoint, method or capability therefore fails here until the README says it."""

import re
from collections import defaultdict

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from opsdesk.roles import ROLE_CAPABILITIES, Capability, Role

from .routes import api_routes
from .test_permission_matrix import OWN, REQUIRED

README = (settings.BASE_DIR / "README.md").read_text()
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: How the README words each capability (the start of a table cell or of a "needs" part).
WORDING = {
    Capability.VIEW: "view",
    Capability.EDIT_CATALOG: "edit catalog",
    Capability.EDIT_CUSTOMERS: "edit customers",
    Capability.IMPORT_DATA: "import data",
    Capability.EDIT_CAMPAIGNS: "edit campaigns",
    Capability.SET_TARGETS: "set gmv targets",
    Capability.MANAGE_STAFF: "manage staff",
}
OWN_WORDING = ("signed in", "your own")


def table_after(header: str) -> list[list[str]]:
    """The body rows (cells stripped) of the Markdown table whose header line is ``header``."""
    lines = README.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def capability_of(text: str) -> Capability | str:
    text = text.strip().lower()
    if text.startswith(OWN_WORDING):
        return OWN
    found = [cap for cap, words in WORDING.items() if text.startswith(words)]
    assert len(found) == 1, f"README: no single capability reads {text!r}"
    return found[0]


# --- roles ------------------------------------------------------------------------------------

ROLE_HEADER = "| capability | admin | manager | operator | analyst |"


def test_the_readme_roles_table_is_the_capability_table():
    rows = table_after(ROLE_HEADER)
    roles = [Role.ADMIN, Role.MANAGER, Role.OPERATOR, Role.ANALYST]
    documented = {}
    for label, *answers in rows:
        capability = capability_of(label)
        assert capability not in documented, f"README lists {capability} twice"
        assert all(a in ("yes", "no") for a in answers) and len(answers) == 4, label
        documented[capability] = {
            role for role, a in zip(roles, answers, strict=True) if a == "yes"
        }

    assert set(documented) == set(Capability), "README roles table: a capability is missing"
    for capability, allowed in documented.items():
        in_code = {role for role in roles if capability in ROLE_CAPABILITIES[role]}
        assert allowed == in_code, (capability, sorted(allowed), sorted(in_code))


# --- API routes -------------------------------------------------------------------------------

ROUTES = api_routes()
ROUTE_NAMES = {route.name: route for route in ROUTES}
API_HEADER = "| path under `/api/v1/` | methods | needs |"
SAMPLE = {"{slug}": "tea-house", "{id}": "1"}


def _route(path: str):
    """The viewset route ``path`` names (Resolver404 when none: the API's catch-all 404 view
    is no route)."""
    for placeholder, value in SAMPLE.items():
        path = path.replace(placeholder, value)
    match = resolve("/api/v1/" + path)
    if match.url_name not in ROUTE_NAMES:
        raise Resolver404(path)
    return ROUTE_NAMES[match.url_name]


def resolve_paths(cell: str) -> list:
    """The routes a "path" cell names. The first path is written in full; the others are
    relative to one of its parent folders (``stores/{slug}/skus/``, ``categories/``)."""
    paths = re.findall(r"`([^`]+)`", cell)
    assert paths, cell
    first, *others = paths
    matches = [_route(first)]
    parents = first.rstrip("/").split("/")
    for other in others:
        for cut in range(len(parents), -1, -1):
            try:
                matches.append(_route("/".join([*parents[:cut], other]).lstrip("/")))
                break
            except Resolver404:
                continue
        else:
            pytest.fail(f"README API table: {other!r} (after {first!r}) is no route")
    return matches


def methods_of(cell: str) -> set[str]:
    if cell.startswith("CRUD"):
        return set(METHODS)
    return {method for method in METHODS if re.search(rf"\b{method}\b", cell)}


def documented_routes() -> dict[str, dict]:
    """basename -> {"methods": documented methods, "needs": [(methods, needs cell), ...]}."""
    found: dict[str, dict] = defaultdict(lambda: {"methods": set(), "needs": []})
    for path_cell, method_cell, needs_cell in table_after(API_HEADER):
        methods = methods_of(method_cell)
        assert methods, f"README API table: no method in {method_cell!r}"
        for route in resolve_paths(path_cell):
            basename = route.basename
            found[basename]["methods"] |= methods
            found[basename]["needs"].append((methods, needs_cell))
    return found


SERVED: dict[str, set[str]] = defaultdict(set)
for _served in ROUTES:
    SERVED[_served.basename] |= {method.upper() for method in _served.actions}


def test_the_readme_api_table_names_every_route_and_its_methods():
    documented = documented_routes()
    assert set(documented) == set(SERVED), (
        "README API table and URL conf differ: "
        f"undocumented {sorted(set(SERVED) - set(documented))}, "
        f"unknown {sorted(set(documented) - set(SERVED))}"
    )
    for basename, methods in SERVED.items():
        assert documented[basename]["methods"] == methods, (basename, sorted(methods))


def test_the_readme_api_table_states_the_capabilities_the_matrix_enforces():
    for basename, entry in documented_routes().items():
        required = REQUIRED[basename]
        for methods, needs in entry["needs"]:
            parts = [capability_of(part) for part in needs.split(";")]
            if required == OWN:
                assert parts == [OWN], (basename, needs)
                continue
            read, write = required
            if len(parts) == 2:  # "reads; writes"
                assert parts == [read, write], (basename, needs, required)
                continue
            (only,) = parts
            if "GET" in methods:
                assert only == read, (basename, needs, required)
            if methods - {"GET"}:
                assert only == write, (basename, needs, required)
