"""The configuration reference (docs/configuration-reference.md), written from schemas/config.schema.yaml: every
key with its type, allowed values, default and description, so the manual cannot drift from what the workflow
accepts. Defaults are the schema's, else the workflow's own config.yaml value.

    python -m lab04.config_reference            # rewrite docs/configuration-reference.md
    python -m lab04.config_reference --check    # exit 1 when the committed file is stale (the tests run this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "config.schema.yaml"
CONFIG = ROOT / "config.yaml"
REFERENCE = ROOT / "docs" / "configuration-reference.md"

# Definitions documented once, in their own section, where several keys share them.
SHARED = {
    "training": ("Training settings", "`training` (every pass's defaults), `experiments.<experiment>.training`; a "
                 "pass sets the same keys directly"),
    "pass": ("A pass", "`experiments.<experiment>.passes.<pass>`"),
    "input": ("A pass's input", "`experiments.<experiment>.input` and `experiments.<experiment>.passes.<pass>.input`"),
    "dataset": ("A data set", "`datasets.<name>`; the keys a family takes are marked with it"),
    "select_epoch": ("Keeping the best epoch", "`training.select_epoch` and a pass's `select_epoch`"),
    "test_time_augmentation": ("Test-time augmentation", "`training.test_time_augmentation` and a pass's"),
}


def _resolve(node: dict) -> tuple[dict, str | None]:
    ref = node.get("$ref", "")
    return (node, None) if not ref else ({}, ref.rsplit("/", 1)[-1])


def _bounds(node: dict) -> str:
    marks = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
    return ", ".join(f"{sign} {node[key]}" for key, sign in marks.items() if key in node)


def kind(node: dict) -> str:
    """The type and the values allowed, in words: 'integer ≥ 1', 'one of `idx`, `medmnist`', 'auto or integer'."""
    node, ref = _resolve(node)
    if ref:
        return f"see [{SHARED[ref][0]}](#{ref.replace('_', '-')})" if ref in SHARED else "a Keras class name " \
            "with its keyword arguments (`{Dense: {units: 10}}`)" if ref == "keras_object" else "list of checksums " \
            "(`sha256:<hex>` or `md5:<hex>`)"
    for choice in ("oneOf", "anyOf"):
        if choice in node:
            return " or ".join(kind(option) for option in node[choice])
    if "enum" in node:
        return "one of " + ", ".join(f"`{json.dumps(v) if v is None else v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    types = node.get("type", "")
    types = " or ".join(t for t in ([types] if isinstance(types, str) else types) if t != "null") + (
        " or null" if isinstance(types, list) and "null" in types else "")
    if types.startswith("array") and "items" in node:
        types = f"list of {kind(node['items'])}"
    out = " ".join(part for part in (types, _bounds(node)) if part)
    if "patternWords" in node:
        out += f" ({node['patternWords']})"
    return out or "any"


def _default(node: dict, path: list[str], defaults: dict) -> str:
    if "default" in node:
        value = node["default"]
    else:
        value = defaults
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return ""
            value = value[part]
        if isinstance(value, dict) and len(json.dumps(value)) > 60:
            return ""
    text = yaml.safe_dump(value, default_flow_style=True, width=1000, allow_unicode=True).strip().removesuffix("\n...")
    return f"`{text}`" if len(text) <= 60 else ""


def _description(node: dict) -> str:
    """The schema's description on one line, its <placeholders> kept as text in Markdown."""
    return " ".join(str(node.get("description", "")).split()).replace("<", "&lt;").replace(">", "&gt;")


def rows(node: dict, path: list[str], defaults: dict, *, family: str = "") -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) of ``node`` and the keys below it, depth first."""
    out = []
    target, ref = _resolve(node)
    key = ".".join(path)
    if path and (ref or "properties" not in target or _description(target)) and "propertyNames" not in path[-1:]:
        note = f" ({family})" if family else ""
        text = _description(node if ref else target)
        out.append((f"`{key}`{note}", kind(node), _default(target, path, defaults), text))
    if ref:
        return out
    for name, child in target.get("properties", {}).items():
        if child:  # an empty {} repeats a key of the family's common part
            out += rows(child, [*path, name], defaults, family=family)
    for branch in target.get("allOf", []):
        tag = branch.get("if", {}).get("properties", {}).get("family", {}).get("const", "")
        for name, child in branch.get("then", {}).get("properties", {}).items():
            if child:
                out += rows(child, [*path, name], defaults, family=f"family {tag}")
    for pattern, child in target.get("patternProperties", {}).items():
        out += rows(child, [*path, pattern.strip("^$")], {}, family=family)
    extra = target.get("additionalProperties")
    if isinstance(extra, dict):
        out += rows(extra, [*path, "<name>"], {}, family=family)
    return out


def _table(found: list[tuple[str, str, str, str]]) -> list[str]:
    lines = ["| key | type and allowed values | default | description |", "|---|---|---|---|"]
    for key, type_, default, text in found:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in (key, type_, default, text)) + " |")
    return lines


def reference() -> str:
    schema = yaml.safe_load(SCHEMA.read_text())
    defaults = yaml.safe_load(CONFIG.read_text())
    lines = ["# Configuration reference", "",
             "<!-- Written by `python -m lab04.config_reference` from schemas/config.schema.yaml: edit the schema, "
             "then rerun it. -->", "",
             "Every key the workflow accepts, in `config.yaml` and in any overlay (`make report CONFIG=my.yaml`, or a "
             "deployed project's `config/config.yaml`). A default is the schema's, else the value in the workflow's "
             "own `config.yaml`. [Configuration](configuration.md) explains how overlays merge and which keys users "
             "change most.", "", "## Top level", ""]
    top = [row for name, child in schema["properties"].items() for row in rows(child, [name], defaults)]
    lines += _table(top)
    for name, (title, where) in SHARED.items():
        node = schema["definitions"][name]
        lines += ["", f"## {title}" + " {#" + name.replace("_", "-") + "}", "", f"Where: {where}."]
        if text := _description(node):
            lines += ["", text]
        base = ["training"] if name == "training" else []
        lines += ["", *_table(rows(node, base, defaults if base else {}))] if node.get("properties") or \
            node.get("allOf") else []
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = reference()
    if "--check" in argv:
        if not REFERENCE.is_file() or REFERENCE.read_text() != text:
            print(f"{REFERENCE.relative_to(ROOT)} is stale: run `python -m lab04.config_reference`", file=sys.stderr)
            return 1
        return 0
    REFERENCE.parent.mkdir(exist_ok=True)
    REFERENCE.write_text(text)
    print(f"wrote {REFERENCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
