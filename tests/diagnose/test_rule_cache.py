"""The rule cache between runs: a hit gives the same rules as a fresh load; an edited rule file, a
damaged entry or LLMDOCTOR_NO_CACHE is a miss; the disk is never required."""
import json
import os
import shutil
import subprocess
import sys

from llmdoctor.resources import rules_dir

from ..conftest import ROOT

DUMP = ("import json; from llmdoctor.diagnose.rules import load_rules_dir; from pathlib import Path; import sys; "
        "rules, problems = load_rules_dir(Path(sys.argv[1])); "
        "print(json.dumps([[r.code, r.condition, r.reads, sorted(r.placeholders), r.message, len(r.examples)] "
        "for r in rules] + [str(p) for p in problems]))")


def _run(rules_path, cache_home, **env):
    e = {k: v for k, v in os.environ.items() if k != "LLMDOCTOR_NO_CACHE"}
    e.update(XDG_CACHE_HOME=str(cache_home), **env)
    out = subprocess.run([sys.executable, "-c", DUMP, str(rules_path)], capture_output=True, text=True,
                         cwd=ROOT, env=e, timeout=120, check=True)
    return json.loads(out.stdout)


def test_hit_equals_fresh_load_and_edits_miss(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules, ignore=shutil.ignore_patterns("logs", "data"))
    cache = tmp_path / "cache"
    fresh = _run(rules, cache)
    entries = list((cache / "llmdoctor").glob("rules-*.json"))
    assert len(entries) == 1 and len(fresh) >= 70
    assert _run(rules, cache) == fresh                     # served from the cache, same rules
    first = sorted(rules.glob("LD2*.toml"))[0]
    text = first.read_text()
    assert 'message = "' in text
    first.write_text(text.replace('message = "', 'message = "EDITED ', 1))
    again = _run(rules, cache)
    assert len(list((cache / "llmdoctor").glob("rules-*.json"))) == 2    # an edit is a new key
    assert [r[0] for r in again] == [r[0] for r in fresh]
    assert [r[4].startswith("EDITED ") for r in again].count(True) == 1


def test_damaged_entry_and_switch_off_are_misses(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules, ignore=shutil.ignore_patterns("logs", "data"))
    cache = tmp_path / "cache"
    fresh = _run(rules, cache)
    [entry] = (cache / "llmdoctor").glob("rules-*.json")
    entry.write_text('{"rules": [{"code": 1}]')           # truncated JSON
    assert _run(rules, cache) == fresh
    off = tmp_path / "off"
    assert _run(rules, off, LLMDOCTOR_NO_CACHE="1") == fresh
    assert not off.exists()


def test_unwritable_cache_still_loads(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert len(_run(rules_dir(), blocker)) >= 70
