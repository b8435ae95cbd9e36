"""The package layout (docs/architecture.md): data flows forward, lower layers never import
higher ones, numba is used only in neuromorph/kernels, and callers ask devices what they do
(the interface of neuromorph/devices/base.py), never what class they are."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "neuromorph"

# lowest first; a module may import only from its own layer or the layers before it
# (errors.py and outputs.py are single modules; the rest are packages)
LAYERS = ["errors", "kernels", "config", "outputs", "synapses", "devices", "crossbar", "learning", "analysis",
          "tasks", "sweep", "spice", "plots", "api", "bench", "cli"]


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "neuromorph" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def imports_of(path: Path) -> list[str]:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.append(node.module)
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of("neuromorph." + p.relative_to(PACKAGE).parts[0].removesuffix(".py")))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer(path):
    own = layer_of("neuromorph." + path.relative_to(PACKAGE).parts[0].removesuffix(".py"))
    for module in imports_of(path):
        other = layer_of(module)
        if other is not None:
            assert LAYERS.index(other) <= LAYERS.index(own), f"{path.name} ({own}) imports {module} ({other})"


def test_numba_is_used_only_in_kernels():
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "kernels":
            continue
        for module in imports_of(path):
            assert not module.startswith("numba"), f"{path} imports numba outside neuromorph/kernels"


def test_every_package_and_module_is_a_layer():
    """A new top-level package must be placed in LAYERS (and in docs/architecture.md)."""
    tops = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
            if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))}
    assert tops == set(LAYERS), f"not in LAYERS: {sorted(tops - set(LAYERS))}; listed but missing: {sorted(set(LAYERS) - tops)}"


#: the concrete device classes; outside neuromorph/devices code uses the Device interface instead
DEVICE_CLASSES = {"ChainDevice", "ProtonTransistor", "StochasticDevice"}


def _calls(path: Path, name: str):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            yield node


def _names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
           {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


OUTSIDE_DEVICES = [p for p in MODULES if p.relative_to(PACKAGE).parts[0] != "devices"]


@pytest.mark.parametrize("path", OUTSIDE_DEVICES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_isinstance_on_concrete_device_classes_outside_devices(path):
    for call in _calls(path, "isinstance"):
        if len(call.args) == 2:
            named = _names(call.args[1]) & DEVICE_CLASSES
            assert not named, f"{path.name}:{call.lineno}: isinstance(..., {', '.join(sorted(named))}); " \
                              "use the Device interface (dynamics, channel, gate_pulse(), linear_model(), ...)"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_getattr_with_a_default_on_devices(path):
    """Every device implements the whole interface, so getattr(device, "x", default) is never needed."""
    for call in _calls(path, "getattr"):
        if len(call.args) == 3 and "device" in ast.unparse(call.args[0]).lower():
            raise AssertionError(f"{path.name}:{call.lineno}: {ast.unparse(call)}; the Device interface has it")
