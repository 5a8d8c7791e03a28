#!/usr/bin/env python3
"""The test command's closing summary: one line per job (its exit status, and for a pytest job
the passed / failed / errors / skipped / xfailed counts from its JUnit XML), then the reasons
tests were skipped, so a skip is never silent.

    scripts/test-summary.py RESULTS_DIR JOB...

Each JOB left ``RESULTS_DIR/JOB.rc`` (its exit status), may have left ``JOB.xml`` (pytest's
``--junitxml``), ``JOB.seconds`` (its wall time) and ``JOB.title`` (what to call it).  Exits 1
when any job failed or left no exit status.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

#: what a test came to, in the order the summary counts them
OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed")


def read_junit(path: Path) -> tuple[Counter[str], Counter[str]]:
    """How many tests came to each of OUTCOMES, and the reasons tests were skipped (each
    counted)."""
    counts: Counter[str] = Counter()
    skip_reasons: Counter[str] = Counter()
    for case in ET.parse(path).getroot().iter("testcase"):
        outcomes = {child.tag: child for child in case if child.tag in ("failure", "error", "skipped")}
        if "failure" in outcomes:
            counts["failed"] += 1
        elif "error" in outcomes:
            counts["errors"] += 1
        elif "skipped" in outcomes:
            skipped = outcomes["skipped"]
            if skipped.get("type") == "pytest.xfail":
                counts["xfailed"] += 1
            else:
                counts["skipped"] += 1
                skip_reasons[(skipped.get("message") or "").strip()[:160]] += 1
        else:
            counts["passed"] += 1
        # a teardown error after a failure is a second outcome of the same test
        if "error" in outcomes and "failure" in outcomes:
            counts["errors"] += 1
    return counts, skip_reasons


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def main(results: Path, jobs: list[str]) -> int:
    rows, reasons, bad = [], [], False
    for job in jobs:
        rc_file = results / f"{job}.rc"
        rc = int(rc_file.read_text().strip()) if rc_file.exists() else None
        title = (results / f"{job}.title").read_text().strip() if (results / f"{job}.title").exists() else job
        seconds_file = results / f"{job}.seconds"
        took = minutes(float(seconds_file.read_text())) if seconds_file.exists() else ""
        status = "ok" if rc == 0 else ("did not run" if rc is None else f"FAILED ({rc})")
        bad = bad or rc != 0
        xml = results / f"{job}.xml"
        if xml.exists():
            try:
                counts, skip_reasons = read_junit(xml)
            except ET.ParseError as exc:
                rows.append((title, status, f"(unreadable {xml.name}: {exc})", took))
                continue
            # xfailed only when there are any
            shown = [outcome for outcome in OUTCOMES if outcome != "xfailed" or counts[outcome]]
            rows.append((title, status, ", ".join(f"{counts[outcome]} {outcome}" for outcome in shown), took))
            reasons += [(title, reason, n) for reason, n in skip_reasons.most_common()]
        else:
            rows.append((title, status, "", took))
    width = max(len(row[0]) for row in rows)
    print("=" * 30 + " summary " + "=" * 30)
    for title, status, counts, took in rows:
        print(f"{title:<{width}}  {status:<12} {took:>7}  {counts}")
    if reasons:
        print("skipped, and why:")
        for title, reason, n in reasons:
            print(f"  {title}: {n} x {reason}")
    print("all jobs passed" if not bad else "SOME JOBS FAILED")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), sys.argv[2:]))
