"""The README's Usage block names every `newsradar` command that `newsradar --help` lists (as sqlite-utils' docs
tests keep its documentation complete)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def help_commands() -> list[str]:
    """The subcommands in `newsradar --help`, read as a user sees them."""
    out = subprocess.run([sys.executable, "-m", "newsradar", "--help"], capture_output=True, text=True, check=True,
                         cwd=README.parent).stdout
    listing = out.split("COMMAND\n", 2)[-1]
    return re.findall(r"^ {4}(\w[\w-]*)", listing, flags=re.MULTILINE)


def usage_block() -> str:
    section = README.read_text(encoding="utf-8").split("\n## Usage\n", 1)[1]
    return section.split("```", 2)[1]


def test_help_lists_the_commands():
    commands = help_commands()
    assert {"feeds", "seed", "export", "serve"} <= set(commands) and len(commands) >= 15


def test_the_readme_usage_names_every_command():
    named = set(re.findall(r"(?:^|\| )newsradar(?: --\w+(?: \S+)?)* ([\w-]+)", usage_block(), flags=re.MULTILINE))
    assert [c for c in help_commands() if c not in named] == []
