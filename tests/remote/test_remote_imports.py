"""huggingface_hub is a dependency of remote reads only: `import llmdoctor` and `--help` stay without it."""
import subprocess
import sys

from tests.remote.conftest import ROOT


def test_import_and_help_do_not_load_huggingface_hub():
    code = ("import sys, llmdoctor, llmdoctor.app.cli\n"
            "from llmdoctor.app.cli import build_parser\n"
            "build_parser().format_help()\n"
            "print([m for m in ('huggingface_hub', 'httpx', 'httpx2') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_reading_a_local_model_does_not_load_it():
    code = ("import sys, os\n"
            "from llmdoctor.app.model_ref import read_source, resolve_arg\n"
            "read_source(resolve_arg('fixtures/models/Qwen--Qwen3-8B', None, os.environ), os.environ)\n"
            "print('huggingface_hub' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
