"""docs/architecture.md and docs/fakedocker-architecture.md say what each module is: every
module of both packages is named there, dockerspawner's modules import exactly the modules the
list says, each only ones listed before it, and neither package has an import circle (imports
made for type checking only aside)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def modules(package: str) -> dict[str, Path]:
    """Dotted names inside ``package`` (``state.containers.model``) -> their files."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT / package).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def package_imports(package: str) -> dict[str, set[str]]:
    """Each module's imports of other modules of ``package`` (function-level ones too; not
    those made for type checking only)."""
    known = modules(package)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        here = name.split(".") if name else []
        if path.name != "__init__.py":
            here = here[:-1]
        deps: set[str] = set()
        tree = ast.parse(path.read_text())
        for block in ast.walk(tree):  # names imported for type checking only are not imports
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
                block.body = []
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == package:
                target = node.module.partition(".")[2]
            else:
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}".strip(".")
                deps.add(candidate if candidate in known else target)
        graph[name] = deps - {name, ""}
    return graph


def documented(doc: str) -> dict[str, tuple[int, set[str] | None]]:
    """``- **name** — …`` bullets: each module's place in the list and the set its "Imports …"
    sentence names (None where the bullet states none)."""
    text = (ROOT / "docs" / doc).read_text()
    bullets = re.split(r"\n(?=- \*\*)", text)
    found = {}
    for position, bullet in enumerate(bullets):
        m = re.match(r"- \*\*(\w+)\*\*", bullet)
        if m is None:
            continue
        body = " ".join(bullet.split())
        if "Imports nothing of ours" in body:
            names: set[str] | None = set()
        else:
            stated = re.search(r"Imports ([^.]*)\.", body)
            names = None if stated is None else {
                re.sub(r"\s*\(.*", "", n).strip() for n in stated.group(1).split(",")}
        found[m.group(1)] = (position, names)
    return found


def test_every_dockerspawner_module_is_in_the_architecture_list():
    listed = documented("architecture.md")
    missing = [name for name in modules("dockerspawner") if name and name not in listed]
    assert missing == []


def test_each_module_imports_what_the_list_says_and_only_from_above_it():
    listed = documented("architecture.md")
    wrong = {}
    for name, deps in package_imports("dockerspawner").items():
        if not name:
            continue
        position, stated = listed[name]
        if stated != deps:
            wrong[name] = {"list says": sorted(stated or ()), "code": sorted(deps)}
        later = sorted(d for d in deps if listed.get(d, (10**6,))[0] >= position)
        if later:
            wrong.setdefault(name, {})["imports modules listed after it"] = later
    assert wrong == {}


@pytest.mark.parametrize("package", ["dockerspawner", "fakedocker"])
def test_no_import_circle(package):
    graph = package_imports(package)
    graph.pop("", None)  # the package's __init__ imports its surface, which imports nothing of it
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in path:
            raise AssertionError("import circle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for dep in sorted(graph.get(name, ())):
            visit(dep)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_every_fakedocker_module_is_named_in_its_architecture_page():
    text = (ROOT / "docs" / "fakedocker-architecture.md").read_text()
    named = set(re.findall(r"`([\w/]+\.py)`", text))
    missing = []
    for name, path in modules("fakedocker").items():
        rel = path.relative_to(ROOT / "fakedocker").as_posix()
        if path.name == "__init__.py" and name:
            continue  # a subpackage is named by its modules
        parts = rel.split("/")
        if not any("/".join(parts[i:]) in named for i in range(len(parts))):
            missing.append(rel)
    assert missing == []
