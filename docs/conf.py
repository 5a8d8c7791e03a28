"""Sphinx configuration: the documentation site (built by the test command with ``-W -n``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

project = "dockerspawner-ng"
author = "the dockerspawner-ng developers"
copyright = "2026, the dockerspawner-ng developers"

extensions = [
    "myst_parser",
    "autodoc_traits",
    "sphinx_copybutton",
    "generated_tables",
    "option_defaults",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

# the options reference: the traits' help texts are the source
autodoc_typehints = "none"
autodoc_member_order = "alphabetical"
autodoc_default_options = {"members": False}
nitpick_ignore_regex = [
    ("py:class", r"t\..*"),  # typing aliases in signatures autodoc reads
]

html_theme = "pydata_sphinx_theme"
html_title = "dockerspawner-ng"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
copybutton_prompt_text = r"\$ |# "
copybutton_prompt_is_regexp = True
