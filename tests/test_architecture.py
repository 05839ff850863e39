"""The layering the code relies on: the CLI and the app use only the public API, and that API is whole."""

from __future__ import annotations

import ast
from importlib.metadata import version
from pathlib import Path

import egov_qa

from .conftest import ROOT

APP_FILES = [ROOT / "app.py", ROOT / "app_state.py", ROOT / "app_render.py"]
FRONT_ENDS = [*APP_FILES, ROOT / "src" / "egov_qa" / "cli.py", ROOT / "src" / "egov_qa" / "cli_output.py"]
ALLOWED = {"egov_qa", "egov_qa.cli_output"}


def _egov_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("egov_qa"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("egov_qa"))
    return found


def test_the_app_and_the_cli_import_only_the_public_api() -> None:
    for path in FRONT_ENDS:
        assert _egov_imports(path) <= ALLOWED, f"{path.name} reaches past the public API: {_egov_imports(path)}"
    for path in APP_FILES:
        assert _egov_imports(path) == {"egov_qa"}, path.name


def test_benchmarks_use_no_private_names() -> None:
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        private = [
            n.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr.startswith("_") and not n.attr.startswith("__")
        ]
        assert not private, f"{path.name} uses private attributes {private}"


def test_benchmarks_retrieve_through_the_public_api() -> None:
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        internals = _egov_imports(path) & {"egov_qa.store", "egov_qa.search", "egov_qa.api", "egov_qa.answer"}
        assert not internals, f"{path.name} re-implements retrieval through {internals}"


def test_the_rule_would_catch_a_leak(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text("from egov_qa.store import IndexReader\nimport egov_qa.search\n", encoding="utf-8")
    assert _egov_imports(leaky) == {"egov_qa.store", "egov_qa.search"}


def test_every_public_name_exists_and_the_version_is_the_package_metadata() -> None:
    missing = [name for name in egov_qa.__all__ if not hasattr(egov_qa, name)]
    assert not missing
    assert egov_qa.__version__ == version("egov-qa")


def test_nothing_in_the_library_imports_streamlit() -> None:
    for path in (ROOT / "src" / "egov_qa").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(name.split(".")[0] == "streamlit" for name in names), path
