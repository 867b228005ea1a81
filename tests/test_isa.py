"""The instruction set a training ran with (lab04/train/isa.py): asked of its own engine (oneDNN for TensorFlow,
XLA for JAX), honouring each one's cap."""

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


# XLA's dumped topology of a JAX program (a CpuTopologyProto, text-escaped), its feature list shortened
TOPOLOGY = ('platform_name: "cpu"\nplatform_specific_topology {\n'
            '  type_url: "type.googleapis.com/xla.CpuTopologyProto"\n'
            r'  value: "\n\000*\212\001\n\030x86_64-unknown-linux-gnu\022\016sapphirerapids\032^'
            '+64bit,+amx-bf16,+amx-tile,+avx,+avx2,+avx512bf16,+avx512f,+fma,-avx10.1,-sse4a,-xop,-amx-fp16"\n}\n')


def test_xlas_cpu_target_is_read_from_its_dumped_topology():
    assert isa.parse_xla_topology(TOPOLOGY) == "XLA CPU target sapphirerapids (x86_64; AVX-512, AVX512-BF16, AMX)"
    assert isa.parse_xla_topology("platform_name: \"cpu\"\n") is None
    assert isa.recorded_by(isa.parse_xla_topology(TOPOLOGY)) == "jax"
    assert isa.recorded_by("Intel AVX2") == "tensorflow"


def test_a_jax_training_records_xlas_target_with_its_cap(tmp_path, monkeypatch):
    pytest.importorskip("jax")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_max_isa=AVX2")
    capped = isa.instruction_set("jax")
    assert capped.startswith("XLA CPU target ") and "AVX2" in capped and "AVX-512" not in capped, capped
    assert capped.endswith("(capped by --xla_cpu_max_isa=AVX2)")
    monkeypatch.delenv("XLA_FLAGS")
    native = isa.instruction_set("jax")  # another key: asked again
    assert native.startswith("XLA CPU target ") and "capped" not in native and native != capped
