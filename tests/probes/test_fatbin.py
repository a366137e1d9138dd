"""torch's CUDA architectures read from fatbin headers, without importing torch."""
import pytest

from llmdoctor.errors import InputError
from llmdoctor.probes.fatbin import fatbin_archs

from ..conftest import FIXTURES

OBJECT = FIXTURES / "binaries" / "fatbin-sm75-sm90-ptx90.o"


def test_reads_machine_code_and_ptx_architectures():
    # built with -gencode for sm_75 and sm_90 plus compute_90 PTX (fixtures/binaries/README.md)
    assert fatbin_archs(str(OBJECT)) == ["sm_75", "sm_90", "compute_90"]


@pytest.mark.parametrize("cut", [0, 10, 63, 1200])
def test_truncated_library_is_a_clear_error(tmp_path, cut):
    bad = tmp_path / "lib.so"
    bad.write_bytes(OBJECT.read_bytes()[:cut] or b"\0")
    with pytest.raises(InputError):
        fatbin_archs(str(bad))


def test_corrupt_entry_sizes_end_the_walk(tmp_path):
    data = bytearray(OBJECT.read_bytes())
    at = data.index(bytes.fromhex("50ed55ba"))
    data[at + 16 + 4: at + 16 + 8] = (0).to_bytes(4, "little")     # first entry claims a 0-byte header
    bad = tmp_path / "lib.so"
    bad.write_bytes(bytes(data))
    assert fatbin_archs(str(bad)) == ["sm_75"]                       # what was read before, nothing more
