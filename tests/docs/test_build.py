"""The site builds with warnings as errors and holds the pages an admin looks for."""

from __future__ import annotations

from pathlib import Path

PAGES = ["index", "install", "first-hub", "config/index", "config/images", "config/volumes", "config/limits",
         "config/networks", "config/profiles-gpus", "config/internal-ssl", "config/remote-daemons", "swarm",
         "systemuser", "podman", "migrating", "troubleshooting", "fakedocker", "benchmarks", "changelog",
         "reference/options", "architecture", "fakedocker-architecture"]


def test_the_site_builds_with_every_page(site: Path):
    missing = [page for page in PAGES if not (site / f"{page}.html").is_file()]
    assert not missing, f"pages not built: {missing}"
    assert (site / "searchindex.js").is_file()


def test_the_generated_tables_are_on_their_pages(site: Path):
    migrating = (site / "migrating.html").read_text()
    assert "mem_guarantee" in migrating and "reference (dockerspawner 14.0.0)" in migrating
    routes = (site / "fakedocker.html").read_text()
    assert "create_container" in routes and "501 (not modelled)" in routes
