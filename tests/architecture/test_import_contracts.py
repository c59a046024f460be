"""The bounded contexts' boundaries are executable: import-linter enforces them, and really catches a violation."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree):
    return subprocess.run([str(LINT_IMPORTS), "--config", str(tree / "setup.cfg"), "--no-cache"], cwd=tree,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree_copy(tmp_path):
    """Return a throwaway copy of the app and its import contracts."""
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__", "templates"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    return tmp_path


def test_the_contracts_hold_for_the_code_as_it_is():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _plant(tree, relative, line):
    path = tree / relative
    path.write_text(path.read_text() + f"\n{line}\n")


def test_a_planted_cross_context_import_breaks_the_independence_contract(tree_copy):
    _plant(tree_copy, "app/tickets/services.py", "from app.orders import models as _smuggled  # noqa")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "Bounded contexts are independent" in result.stdout
    assert "app.tickets.services -> app.orders.models" in result.stdout


def test_only_handlers_may_import_another_contexts_events(tree_copy):
    _plant(tree_copy, "app/payments/services.py", "from app.orders import events as _smuggled  # noqa")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "app.payments.services -> app.orders.events" in result.stdout


def test_events_modules_may_not_import_flask(tree_copy):
    _plant(tree_copy, "app/orders/events.py", "import flask as _smuggled  # noqa")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "Events modules import neither Flask nor mongoengine" in result.stdout
