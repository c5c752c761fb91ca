"""The README shows the real CLI help (kept in sync like llm's cog check)."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import ROOT


def test_readme_cli_help_matches():
    env = {**os.environ, "COLUMNS": "100"}
    out = subprocess.run([sys.executable, "-m", "reviewer.cli", "--help"], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert out.replace("python -m reviewer.cli", "reviewer") in readme, \
        "README's CLI help is stale: paste the output of `COLUMNS=100 reviewer --help`"


def test_readme_has_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "reviewer audit examples/sample.jsonl" in readme
    assert "pip install -e '.[dev]' && pytest" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\npytest" in ci
