"""The instruction set a training ran with (lab04/train/isa.py): asked of oneDNN, honouring its cap."""

import pytest

from lab04.train import isa

VERBOSE = """onednn_verbose,v1,info,oneDNN v3.7.3 (commit N/A)
onednn_verbose,v1,info,cpu,runtime:threadpool,nthr:2
onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with Intel DL Boost and bfloat16 support
onednn_verbose,v1,info,gpu,runtime:none
"""


def test_the_instruction_set_is_read_from_onednn_verbose_lines():
    assert isa.parse(VERBOSE) == "Intel AVX-512 with Intel DL Boost and bfloat16 support"
    assert isa.parse("dnnl_verbose,info,cpu,isa:Intel AVX2\n") == "Intel AVX2"
    assert isa.parse("nothing from oneDNN\n") is None


def test_a_cap_is_honoured_and_kept_apart_from_the_native_answer(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")  # every x86-64 machine here has it
    capped = isa.instruction_set()
    assert capped == "Intel SSE4.1 (capped by ONEDNN_MAX_CPU_ISA=SSE41)", capped
    assert isa.instruction_set() == capped  # asked once: the second answer comes from the cache
    assert len(list(tmp_path.rglob("*.txt"))) == 1
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    native = isa.instruction_set()  # another key: asked again, never served the capped answer
    assert native != capped and "capped" not in native and len(list(tmp_path.rglob("*.txt"))) == 2
