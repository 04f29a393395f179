"""The house plan holds: floors lean downwards, nothing is written twice, the surface is public.

The layers themselves are the import-linter contracts in ``pyproject.toml`` (run by ``make lint``);
these tests show that the contracts bite, and check what import-linter cannot: private names,
``__all__`` and the notebooks' imports.
"""

import ast
import importlib
import inspect
import json
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import emostudy

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: Private modules whose names are shared inside the package on purpose (one home each).
SHARED_PRIVATE_MODULES = {"_validation", "_quiet", "_lazy", "_axes"}
MAX_NOTEBOOK_IMPORT_PATHS = 12


def _lint_imports(package_parent: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=package_parent,
        env={"PYTHONPATH": str(package_parent), "PATH": str(BIN)},
        timeout=300,
    )


def test_the_layers_contract_is_kept():
    done = _lint_imports(ROOT, ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 kept, 0 broken" in done.stdout


def test_an_upward_import_inside_a_function_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "emostudy", tmp_path / "emostudy")
    target = tmp_path / "emostudy" / "evaluation" / "classification.py"
    target.write_text(
        target.read_text() + "\n\ndef _upward():\n    from emostudy.training import train\n"
    )
    done = _lint_imports(tmp_path, ROOT / "pyproject.toml")
    assert done.returncode != 0
    assert "BROKEN" in done.stdout
    assert "emostudy.evaluation.classification -> emostudy.training" in done.stdout


def test_code_written_twice_fails_the_duplicate_check(tmp_path):
    package = tmp_path / "copied"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = (ROOT / "emostudy" / "models" / "inputs.py").read_text()
    (package / "first.py").write_text(source)
    (package / "second.py").write_text(source)
    command = [sys.executable, "-m", "pylint", f"--rcfile={ROOT / 'pyproject.toml'}"]
    done = subprocess.run(
        [*command, "--score=n", str(package)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode != 0
    assert "R0801" in done.stdout and "Similar lines in 2 files" in done.stdout


def _modules():
    for path in sorted((ROOT / "emostudy").rglob("*.py")):
        yield path, ast.parse(path.read_text())


def test_no_module_imports_a_private_name_from_another_module():
    offences = []
    for path in [p for p, _ in _modules()] + sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                "emostudy"
            ):
                continue
            if node.module.rsplit(".", 1)[-1] in SHARED_PRIVATE_MODULES:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and alias.name != "__version__":
                    offences.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
    assert offences == []


def _packages():
    names = ["emostudy"]
    names += [m.name for m in pkgutil.walk_packages(emostudy.__path__, "emostudy.") if m.ispkg]
    return names


@pytest.mark.parametrize("name", _packages())
def test_every_package_declares_its_public_names_with_docstrings(name):
    package = importlib.import_module(name)
    assert isinstance(package.__all__, list | tuple) and package.__all__
    undocumented = []
    for public in package.__all__:
        value = getattr(package, public)  # every declared name resolves
        callable_ = inspect.isfunction(value) or inspect.isclass(value)
        if callable_ and not (value.__doc__ or "").strip():
            undocumented.append(public)
    assert undocumented == []


def _notebook_imports():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            tree = ast.parse(re.sub(r"^[%!].*$", "", "".join(cell["source"]), flags=re.M))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module.startswith("emostudy"):
                    yield path.name, node.module, [alias.name for alias in node.names]
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("emostudy"):
                            yield path.name, alias.name, []


def test_notebooks_import_public_names_from_a_few_paths():
    imports = list(_notebook_imports())
    paths = {module for _, module, _ in imports}
    assert len(paths) <= MAX_NOTEBOOK_IMPORT_PATHS, sorted(paths)
    private = []
    for notebook, module, names in imports:
        public = set(importlib.import_module(module).__all__)
        private += [f"{notebook}: {module}.{name}" for name in names if name not in public]
    assert private == []


def test_the_api_page_documents_exactly_the_public_names():
    from emostudy.book import render_api_page

    committed = (ROOT / "book" / "api.md").read_text()
    assert committed == render_api_page(), "regenerate it: python -c 'from emostudy.book import "
    'write_api_page; write_api_page("book/api.md")\''
