"""Field-by-field comparison of two recordings (pure functions of the JSON both recorders print)."""

from __future__ import annotations

import fnmatch
import re
import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra installs tomli there
    import tomli as tomllib

ABSENT = "<absent>"


@dataclass(frozen=True)
class Difference:
    scenario: str
    path: str
    ours: Any
    reference: Any

    def __str__(self) -> str:
        return f"{self.scenario}: {self.path}: ours={self.ours!r} reference={self.reference!r}"


@dataclass(frozen=True)
class Allowed:
    """A difference on purpose: ``row`` is its row in docs/differences.toml."""

    row: str
    scenarios: tuple[str, ...]  # fnmatch patterns
    paths: tuple[str, ...]  # fnmatch patterns over dotted paths
    ours: Any = field(default=ABSENT, compare=False)  # when given, our value must be this

    def matches(self, diff: Difference) -> bool:
        if not any(fnmatch.fnmatchcase(diff.scenario, p) for p in self.scenarios):
            return False
        if not any(fnmatch.fnmatchcase(diff.path, p) for p in self.paths):
            return False
        return self.ours is ABSENT or diff.ours == self.ours


def leaves(a: Any, b: Any, path: str = "") -> tuple[int, list[tuple[str, Any, Any]]]:
    """(how many leaf fields were compared, the ones that differ)."""
    if isinstance(a, dict) and isinstance(b, dict):
        count, out = 0, []
        for key in sorted(set(a) | set(b)):
            n, diffs = leaves(a.get(key, ABSENT), b.get(key, ABSENT), f"{path}.{key}" if path else str(key))
            count += n
            out += diffs
        return count, out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        count, out = 0, []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            n, diffs = leaves(x, y, f"{path}.{i}")
            count += n
            out += diffs
        return count, out
    return 1, ([] if a == b else [(path, a, b)])


#: fields of an error that are compared as values; its message is compared by meaning
ERROR_FIELDS_BY_MEANING = ("error.message", "error.type")


def compare(ours: dict[str, Any], reference: dict[str, Any], refusals: dict[str, tuple[str, ...]]
            ) -> tuple[int, list[Difference], list[str]]:
    """Compare two recordings scenario by scenario.

    Returns (fields compared, differences, problems): a problem is a scenario that must be
    refused where one side did not refuse, or refused with a message of another meaning.
    """
    by_id = {s["id"]: s for s in reference["scenarios"]}
    total, differences, problems = 0, [], []
    for mine in ours["scenarios"]:
        theirs = by_id.get(mine["id"])
        if theirs is None:
            problems.append(f"{mine['id']}: not recorded for the reference")
            continue
        patterns = refusals.get(mine["id"], ())
        if patterns:
            for side, record in (("ours", mine), ("reference", theirs)):
                error = record.get("error")
                if error is None:
                    problems.append(f"{mine['id']}: {side} did not refuse")
                    continue
                for pattern in patterns:
                    if not re.search(pattern, error["message"]):
                        problems.append(f"{mine['id']}: {side}'s message {error['message']!r} does not match {pattern!r}")
        count, diffs = leaves(mine, theirs)
        total += count
        for path, a, b in diffs:
            if patterns and path in ERROR_FIELDS_BY_MEANING:
                continue
            differences.append(Difference(mine["id"], path, a, b))
    return total, differences, problems


def classify(differences: list[Difference], allowed: list[Allowed]
             ) -> tuple[dict[str, list[Difference]], list[Difference], list[Allowed]]:
    """(differences by documented row, differences no row allows, allow-list entries nothing matched)."""
    by_row: dict[str, list[Difference]] = {}
    unexplained = []
    used: set[int] = set()
    for diff in differences:
        for i, entry in enumerate(allowed):
            if entry.matches(diff):
                by_row.setdefault(entry.row, []).append(diff)
                used.add(i)
                break
        else:
            unexplained.append(diff)
    stale = [entry for i, entry in enumerate(allowed) if i not in used]
    return by_row, unexplained, stale


def difference_rows(toml_text: str) -> list[str]:
    """The rows' names (``what``) of docs/differences.toml, in order."""
    return [entry["what"] for entry in tomllib.loads(toml_text)["difference"]]
