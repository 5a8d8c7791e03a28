"""Spawn JupyterHub single-user servers in Docker (work in progress)."""
