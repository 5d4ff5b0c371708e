"""``cdp connectors new NAME``: a source connector plugin package that installs and syncs as is.

The package written holds a ``pyproject.toml`` registering the plugin under the ``cdp``
entry-point group, a dlt source built on cdp's HTTP helpers (retries, one-line auth errors,
incremental merge), its canonical mapping SQL, a local fake of the API it talks to, and a
test module running the conformance kit in one line.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from cdp.errors import CdpError

__all__ = ["new_connector"]

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

# template file (under templates/package) -> path in the new package
LAYOUT = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "module/__init__.py.tmpl": "{module}/__init__.py",
    "module/plugin.py.tmpl": "{module}/plugin.py",
    "module/sql/customer_records.sql.tmpl": "{module}/sql/customer_records.sql",
    "module/sql/events.sql.tmpl": "{module}/sql/events.sql",
    "tests/__init__.py.tmpl": "tests/__init__.py",
    "tests/fake_api.py.tmpl": "tests/fake_api.py",
    "tests/test_connector.py.tmpl": "tests/test_connector.py",
}


def new_connector(name: str, parent: Path) -> Path:
    """Write the package of source connector ``name`` into ``parent/cdp-<name>``; its path."""
    if not NAME.match(name):
        raise CdpError(
            f"'{name}' is not a valid connector name: use lowercase letters, digits and "
            "underscores, starting with a letter (e.g. loyalty_api)"
        )
    target = parent / f"cdp-{name.replace('_', '-')}"
    if target.exists():
        raise CdpError(f"{target} already exists; choose another name or remove it")
    values = {
        "name": name,
        "module": f"cdp_{name}",
        "dist": f"cdp-{name.replace('_', '-')}",
        "title": name.replace("_", " ").title(),
        "env": name.upper(),
    }
    root = files(__package__) / "templates" / "package"
    for template, dest in LAYOUT.items():
        text = (root / template).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        path = target / dest.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target
