"""Answer "do deeper CNNs have more weights?" by rebuilding a pass without some of its layers."""

from __future__ import annotations

from lab04.train.layer_table import layer_table
from lab04.train.models import build_model


def _spec_name(spec: dict) -> str | None:
    (_, args), = spec.items()
    return (args or {}).get("name")


def depth_example(input_shape, layers: list, remove: list[str], input_name: str | None = None) -> dict:
    """Parameter counts of the configured model and of the same model minus ``remove``."""
    names = [_spec_name(spec) for spec in layers]
    missing = [r for r in remove if r not in names]
    if missing:
        raise ValueError(f"report.depth_example.remove names layers {missing} that the pass does not "
                         f"have; its named layers are {[n for n in names if n]}")
    kept = [spec for spec, name in zip(layers, names, strict=True) if name not in remove]
    full = build_model(input_shape, layers, name="configured", input_name=input_name)
    shallow = build_model(input_shape, kept, name="shallower", input_name=input_name)
    return {
        "remove": list(remove),
        "configured": {"params": full.count_params(), "layers": layer_table(full)},
        "shallower": {"params": shallow.count_params(), "layers": layer_table(shallow)},
    }
