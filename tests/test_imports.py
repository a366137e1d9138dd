"""House rules that keep the architecture honest."""
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "llmdoctor"


def test_import_llmdoctor_loads_neither_textual_nor_pynvml():
    code = ("import sys, llmdoctor, llmdoctor.app.cli; "
            "print([m for m in ('textual', 'pynvml', 'gguf', 'numpy', 'rich') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_only_one_module_imports_pynvml():
    importers = [p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py")
                 if any(line.strip().startswith(("import pynvml", "from pynvml"))
                        for line in p.read_text().splitlines())]
    assert importers == ["probes/nvml.py"]


def test_renderers_and_planner_never_import_probes():
    offenders = []
    for folder in ("render", "plan"):
        for p in (PKG / folder).rglob("*.py"):
            text = p.read_text()
            if "from ..probes" in text or "import llmdoctor.probes" in text or "from llmdoctor.probes" in text:
                offenders.append(p.relative_to(PKG).as_posix())
    assert offenders == []


def test_only_renderers_import_rich_or_textual():
    offenders = []
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG).as_posix()
        if rel.startswith("render/"):
            continue
        for line in p.read_text().splitlines():
            if line.strip().startswith(("from rich", "import rich", "from textual", "import textual")):
                offenders.append(rel)
    assert offenders == []
