"""Print the differential suite's table at the end of the run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from test_differential import SUMMARY

    if not SUMMARY:
        return
    write = terminalreporter.write_line
    by_row = SUMMARY["by_row"]
    write("")
    write(f"reference differential (dockerspawner 14.0.0 vs ours; JupyterHub {SUMMARY['jupyterhub']}, "
          f"docker-py {SUMMARY['docker']})")
    write(f"  scenarios:            {SUMMARY['scenarios']}")
    write(f"  fields compared:      {SUMMARY['fields']}")
    write(f"  allowed differences:  {sum(len(v) for v in by_row.values())} in {len(by_row)} documented rows")
    width = max((len(row) for row in by_row), default=10)
    for row, diffs in sorted(by_row.items()):
        scenarios = sorted({d.scenario for d in diffs})
        write(f"    {row:<{width}}  {len(diffs):>3} fields in {len(scenarios)} scenarios")
