"""The package layout of DESIGN §1: data flows forward, lower layers never import higher ones,
and numba is used only in neuromorph/kernels."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "neuromorph"

# lowest first; a module may import only from its own layer or the layers before it
LAYERS = ["errors", "kernels", "config", "outputs", "synapses", "devices", "crossbar", "learning", "analysis",
          "tasks", "sweep", "spice", "plots", "bench", "cli"]


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
