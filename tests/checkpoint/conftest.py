import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "models")


@pytest.fixture(scope="session")
def fixtures_dir():
    return os.path.abspath(FIXTURES)


@pytest.fixture(scope="session")
def gguf_dir(tmp_path_factory):
    import gguf_factory as factory

    root = tmp_path_factory.mktemp("gguf")
    facts = {
        "llama": factory.write_llama(root / "llama.gguf"),
        "qwen35": factory.write_qwen35(root / "qwen35.gguf"),
        "deepseek2": factory.write_deepseek2(root / "deepseek2.gguf"),
        "gemma3": factory.write_gemma3(root / "gemma3.gguf"),
        "nemotron_h": factory.write_nemotron_h(root / "nemotron_h.gguf"),
    }
    return root, facts
