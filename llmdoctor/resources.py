"""Where the shipped data lives: `rules/` is packaged as `llmdoctor/_rules` in a wheel (see
pyproject force-include); an editable install or a source checkout reads the top-level `rules/`."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def rules_dir() -> Path:
    packaged = resources.files("llmdoctor") / "_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    # Editable install / source checkout: the repository's top-level rules/ beside the package.
    checkout = Path(str(resources.files("llmdoctor"))).parent / "rules"
    return checkout


def data_path(name: str) -> Path:
    """A data table under rules/data/ (e.g. "gpus.csv")."""
    return rules_dir() / "data" / name


def data_text(name: str) -> str:
    """The text of a data table under rules/data/: the one place the planner's and rules' tables are read."""
    return data_path(name).read_text(encoding="utf-8")


def package_text(package: str, name: str) -> str:
    """A data file shipped inside a package (an engine's cli_flags.json)."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")
