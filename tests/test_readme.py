"""The README's two set-up commands stay true: CI runs the same test command, and the main job works."""
import re
import shlex
import subprocess
import sys

from .conftest import ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```bash\n(.*?)\n```", README, re.S)


def test_first_two_blocks_are_install_and_run_then_test():
    main, tests = BLOCKS[0], BLOCKS[1]
    assert "pip install ." in main and "llmdoctor check fixtures/" in main
    assert "pip install -e '.[test]'" in tests and "python -m pytest -q" in tests
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]'" in ci and "python -m pytest -q" in ci


def test_main_job_runs_and_exits_zero():
    command = BLOCKS[0].split("&& llmdoctor ", 1)[1]
    out = subprocess.run([sys.executable, "-m", "llmdoctor", *shlex.split(command)], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Runs" in out.stdout and "Recommended launch command" in out.stdout


def test_readme_names_the_distribution_pyproject_builds():
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert name != "llmdoctor"                    # taken on PyPI by an unrelated project
    assert f"pip install {name}" in README and f"pipx install {name}" in README
