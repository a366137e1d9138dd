"""The wheel ships the rules and data tables, and an installed llmdoctor finds them there."""
import subprocess
import sys
import zipfile

from ..conftest import ROOT


def test_wheel_carries_rules_and_finds_them(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("llmdoctor_preflight-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    rule_files = [n for n in names if n.startswith("llmdoctor/_rules/LD") and n.endswith(".toml")]
    source_rules = sorted(p.name for p in (ROOT / "rules").glob("LD*.toml"))
    assert sorted(n.rsplit("/", 1)[1] for n in rule_files) == source_rules
    assert "llmdoctor/_rules/data/gpus.csv" in names
    assert "llmdoctor/render/tui/app.tcss" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import llmdoctor.resources as r; from llmdoctor.diagnose import load_rules; "
            "print(r.rules_dir()); print(len(load_rules([])))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=120)
    where, count = out.stdout.split()
    assert where.startswith(str(site)) and int(count) == len(source_rules)
