"""The layers, checked on the syntax trees: each package imports only packages below it (so no two
packages form a cycle), and the planner, the engines, the rule evaluator and the renderers touch no
files. A new package must be given a layer here."""
import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "llmdoctor"

# lowest first; a package may import its own layer's modules only when it is the same package
LAYERS = [
    {"__init__", "errors", "resources", "schema"},           # foundations: import nothing above them
    {"facts", "families", "safe_io"},                         # records; opening input files safely
    {"probes", "checkpoint", "logparse"},                     # readers of the machine, the model, log lines
    {"plan", "cluster"},                                      # what every engine's planner shares; multi-node facts
    {"engines"},                                              # one package per engine + the registry
    {"diagnose"},                                             # the one rule engine
    {"logs", "report"},                                       # the log doctor; the report record
    {"render"},                                               # text, JSON, TUI: read the Report only
    {"app"},                                                  # CLI, pipeline, TUI session: wires the rest
    {"__main__"},
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}

# modules that read or write files, and why they may
FILE_ACCESS_ALLOWED = {
    "diagnose/rules.py": "loads rule files",
    "diagnose/config.py": "loads llmdoctor.toml / pyproject.toml",
    "diagnose/docs.py": "generates docs/rules/ (a developer command)",
    "diagnose/rule_cache.py": "keeps checked rules between runs in the user's cache directory",
    "diagnose/cel_budget.py": "reads /proc/self/statm: its own address space, to cap what a forked child adds",
}
NO_FILE_ACCESS = ("plan/", "engines/", "render/", "diagnose/")
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "glob", "rglob",
              "listdir", "scandir", "walk", "unlink", "mkdir", "stat"}


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        yield rel.as_posix(), rel.parts[0].removesuffix(".py"), ast.parse(path.read_text(encoding="utf-8"))


def _imported_packages(rel: str, tree: ast.AST):
    parts = ["llmdoctor", *rel.removesuffix(".py").split("/")]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = parts[:len(parts) - node.level] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names = [module] + ([f"{module}.{a.name}" for a in node.names] if module == "llmdoctor" else [])
        else:
            continue
        for name in names:
            bits = name.split(".")
            if bits[0] == "llmdoctor":
                yield (bits[1] if len(bits) > 1 else "__init__"), node.lineno


def test_every_package_has_a_layer():
    assert {top for _, top, _ in _modules()} - set(LAYER_OF) == set()


def test_packages_import_only_layers_below():
    offenders = []
    for rel, top, tree in _modules():
        for target, line in _imported_packages(rel, tree):
            target = target if target in LAYER_OF else "__init__"    # `from llmdoctor import __version__`
            if target != top and LAYER_OF[target] >= LAYER_OF[top] and target != "__init__":
                offenders.append(f"{rel}:{line} imports llmdoctor.{target} (layer {LAYER_OF[target]} >= {LAYER_OF[top]})")
    assert offenders == []


def test_planner_engines_rules_and_renderers_touch_no_files():
    offenders = []
    for rel, _, tree in _modules():
        if not rel.startswith(NO_FILE_ACCESS) or rel in FILE_ACCESS_ALLOWED:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
                if name in FILE_CALLS:
                    offenders.append(f"{rel}:{node.lineno} calls {name}()")
    assert offenders == []


def test_engines_are_reached_through_the_registry():
    """Outside engines/, no module names one engine's package: adding an engine is one folder."""
    from llmdoctor import engines
    names = set(engines.names())
    assert names >= {"vllm", "sglang", "llamacpp", "ollama"}
    offenders = []
    for rel, top, tree in _modules():
        if top == "engines":
            continue
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("llmdoctor.engines.") and module.split(".")[2] in names:
                offenders.append(f"{rel}:{node.lineno} imports {module}")
    assert offenders == []


def test_version_behaviour_lives_in_tables():
    """The planners ask a version table (engines/NAME/versions.py) instead of comparing versions inline."""
    offenders = []
    for rel, top, tree in _modules():
        if top != "engines" or rel.endswith(("versions.py", "cli_table.py")):     # the tables themselves
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("at_least", "vtuple"):
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_every_version_row_names_its_source():
    from llmdoctor import engines
    from llmdoctor.plan.common import vtuple
    import importlib
    for engine in engines.names():
        try:
            table = importlib.import_module(f"llmdoctor.engines.{engine}.versions").CHANGES
        except ModuleNotFoundError:
            continue
        for name, change in table.items():
            assert vtuple(change.since) > (0, 0, 0) and change.what, (engine, name)
            assert re.search(r"[\w/]+\.(py|go|cpp|h)\b", change.source), (engine, name, change.source)
