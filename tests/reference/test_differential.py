"""The reference DockerSpawner (PyPI 14.0.0, in its own virtualenv) and ours, side by side.

Both implementations run every scenario of ``scenarios.py`` on a fresh fakedocker engine
(``recorder.py``); what each left in the engine, the address ``start()`` returned and any
refusal are compared field by field.  A difference passes only if an entry of ``ALLOWED``
names its row in ``docs/differences.toml`` (the table "Differs on purpose" the documentation
prints from it); an entry that matches nothing any more fails too, so the table stays true.

``tox -e reference`` makes the oracle virtualenv and runs this; elsewhere set
``DOCKERSPAWNER_ORACLE_PYTHON`` to its interpreter (``tests/reference/make_oracle.py DIR``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from compare import Allowed, classify, compare, difference_rows
from needs import unavailable
from scenarios import SCENARIOS

HERE = Path(__file__).resolve().parent
DIFFERENCES = HERE.parents[1] / "docs" / "differences.toml"
ORACLE = os.environ.get("DOCKERSPAWNER_ORACLE_PYTHON") or str(
    HERE.parents[1] / ".tox" / "reference" / "oracle" / "bin" / "python")

SWARM = "swarm-*"
ALLOWED: list[Allowed] = [
    Allowed("`mem_guarantee`, `cpu_guarantee`", ("limits-guarantees",),
            ("engine.containers.0.HostConfig.MemoryReservation", "engine.containers.0.HostConfig.CpuShares")),
    Allowed("`remove = True`", ("lifecycle-remove", "lifecycle-deprecated-remove-containers"),
            ("engine.containers.0.HostConfig.AutoRemove",)),
    Allowed('`host_ip = "0.0.0.0"` with a local daemon', ("docs-host-ip-all-interfaces",), ("address.0",),
            ours="127.0.0.1"),
    Allowed("`JUPYTER_IMAGE_SPEC` set in `Spawner.environment`", ("env-overrides-image-spec",),
            ("engine.containers.0.Env.JUPYTER_IMAGE_SPEC",), ours="custom"),
    Allowed("user options on JupyterHub ≥ 5.3", ("allowed-images-hook-sees-choice",),
            ("engine.containers.0.Env.IMAGE_AT_PRE_SPAWN",)),
    Allowed("errors a user can cause", ("systemuser-missing-account",), ("error.status",), ours=403),
    Allowed("SwarmSpawner: the server's address on `network_name`", (SWARM, "docs-swarm-network"), ("address.0",)),
    Allowed("SwarmSpawner without `network_name`, or with it and `use_internal_ip = False`", ("swarm-default",),
            ("address.0", "address.1", "engine.services.0.EndpointSpec.Ports")),
    Allowed("SwarmSpawner without `network_name`, or with it and `use_internal_ip = False`",
            ("swarm-network-published",), ("address.1", "engine.services.0.EndpointSpec.Ports.0.PublishMode")),
    Allowed("SwarmSpawner with `cmd = None`", (SWARM, "docs-swarm-network"),
            ("engine.services.0.TaskTemplate.ContainerSpec.Args",)),
    Allowed("SwarmSpawner restart policy", (SWARM, "docs-swarm-network"),
            ("engine.services.0.TaskTemplate.RestartPolicy",)),
    Allowed("SwarmSpawner named volumes", ("swarm-volume-driver",),
            ("address", "engine", "error", "left_behind", "state_keys")),
    Allowed("SwarmSpawner settings a service cannot express", ("swarm-links",),
            ("address", "engine", "error", "left_behind", "state_keys")),
    Allowed("SwarmSpawner settings a service cannot express", ("swarm-host-config-cap-add",),
            ("engine.services.0.TaskTemplate.ContainerSpec.CapabilityAdd",)),
]

#: filled for the terminal summary (conftest.py)
SUMMARY: dict[str, object] = {}


def record(python: str) -> dict:
    done = subprocess.run([python, str(HERE / "recorder.py")], capture_output=True, text=True,
                          cwd=HERE, timeout=600)
    if done.returncode:
        raise AssertionError(f"{python} recorder.py failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def recordings() -> tuple[dict, dict]:
    if not Path(ORACLE).exists():
        unavailable(f"no oracle virtualenv at {ORACLE}: run `tox -e reference`")
    with ThreadPoolExecutor(2) as pool:
        ours, reference = pool.map(record, [sys.executable, ORACLE])
    assert ours["implementation"] == "ours", ours["implementation"]
    assert reference["implementation"] == "reference" and reference["dockerspawner"] == "14.0.0"
    assert (ours["jupyterhub"], ours["docker"]) == (reference["jupyterhub"], reference["docker"])
    return ours, reference


def test_enough_scenarios():
    assert len(SCENARIOS) >= 60
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    kinds = {s.spawner for s in SCENARIOS}
    assert kinds == {"docker", "swarm", "systemuser"}
    assert any(s.refuse for s in SCENARIOS)


def test_every_allowed_row_is_in_the_documented_table():
    rows = difference_rows(DIFFERENCES.read_text())
    assert len(rows) == len(set(rows)), "a row of the table is listed twice"
    missing = sorted({entry.row for entry in ALLOWED} - set(rows))
    assert not missing, f"allow-list rows missing from docs/differences.toml: {missing}"


def test_same_containers_as_the_reference(recordings):
    ours, reference = recordings
    refusals = {s.id: s.refuse for s in SCENARIOS if s.refuse}
    fields, differences, problems = compare(ours, reference, refusals)
    by_row, unexplained, stale = classify(differences, ALLOWED)
    SUMMARY.update(scenarios=len(ours["scenarios"]), fields=fields, by_row=by_row,
                   jupyterhub=ours["jupyterhub"], docker=ours["docker"])
    report = []
    report += [f"refusal: {p}" for p in problems]
    report += [f"not on the list of differences on purpose (docs/differences.toml): {d}" for d in unexplained]
    report += [f"allowed but no longer occurs ({entry.row}): {entry.scenarios} {entry.paths}" for entry in stale]
    assert not report, "\n".join(report)
