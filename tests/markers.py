"""Markers set at collection, from what each test reaches, so nobody has to remember them.

A test is marked
- `browser` when it (or a fixture or helper of the tests package it uses) calls `chromium()`;
- `server` when it starts the app or the simulator under uvicorn, `hotline serve`, or any other
  process (`running_stack`, `ServerThread`, `serve_process`, `logged_serve`, `two_instances`,
  `create_app`, `subprocess`), or uses a fixture of tests/conftest.py that does;
- `postgres` when it runs on PostgreSQL (the `postgres` variant of a parametrized database, or a
  test that asks for PostgreSQL itself);
- `unit` when none of these applies and it does not step through the migrations
  (`real_migrations`): pure functions, and services on SQLite. `make test-fast` runs only these.

"Reaches" is found by reading code, not by running it: the global names that the test function,
its fixtures and the test-package functions and classes they name refer to, transitively.
"""

from __future__ import annotations

import inspect
import subprocess
import types
from collections.abc import Iterator
from typing import Any

import pytest

# Fixtures of tests/conftest.py, by name (their code is not read: `database_url` names both
# backends, and which one a test gets is in its parameters).
_SERVER_FIXTURES = {"app_only", "quiet_app", "stack"}


def _kinds_of_objects() -> dict[int, str]:
    from tests import conftest, servers, stack

    kinds: dict[int, str] = {
        id(stack.running_stack): "server",
        id(servers.ServerThread): "server",
        id(servers.serve_process): "server",
        id(subprocess): "server",
        id(subprocess.run): "server",
        id(subprocess.Popen): "server",
        id(conftest.require_postgres): "postgres",
        id(conftest.fresh_postgres_database): "postgres",
        id(conftest.migrated_postgres_database): "postgres",
    }
    from hotline.app import create_app

    kinds[id(create_app)] = "server"
    from tests import instances, processes

    kinds[id(processes.logged_serve)] = "server"
    kinds[id(instances.two_instances)] = "server"
    try:
        from tests import browser
    except ImportError:  # Playwright not installed: no test can drive a browser
        pass
    else:
        kinds[id(browser.chromium)] = "browser"
    return kinds


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "tests" or module.startswith("tests.")


class Reach:
    """What a function reaches, memoized over the whole collection."""

    def __init__(self) -> None:
        self.kinds = _kinds_of_objects()
        self.memo: dict[int, frozenset[str]] = {}

    def of(self, obj: Any) -> frozenset[str]:
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = frozenset()  # cycles end here
        found: set[str] = set()
        if inspect.isclass(obj):
            for member in vars(obj).values():
                if inspect.isfunction(member):
                    found |= self.of(member)
        else:
            function = inspect.unwrap(obj)
            code = getattr(function, "__code__", None)
            names = getattr(function, "__globals__", {})
            if code is not None:
                for each in _codes(code):
                    for name in each.co_names:
                        target = names.get(name)
                        if target is None:
                            continue
                        kind = self.kinds.get(id(target))
                        if kind is not None:
                            found.add(kind)
                        elif (inspect.isfunction(target) or inspect.isclass(target)) and _ours(
                            target
                        ):
                            found |= self.of(target)
        result = frozenset(found)
        self.memo[key] = result
        return result


def classify(item: pytest.Item, reach: Reach) -> set[str]:
    kinds: set[str] = set()
    function = getattr(item, "function", None)
    if function is not None:
        kinds |= reach.of(function)
    info = getattr(item, "_fixtureinfo", None)
    if info is not None:
        for name in item.fixturenames:  # type: ignore[attr-defined]
            if name in _SERVER_FIXTURES:
                kinds.add("server")
            for fixturedef in info.name2fixturedefs.get(name, ()):
                module = getattr(fixturedef.func, "__module__", "")
                if module == "tests.conftest":
                    continue
                # The database a parametrized fixture makes is told by its parameter.
                kinds |= reach.of(fixturedef.func) - {"postgres"}
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgres" in callspec.params.values():
        kinds.add("postgres")
    return kinds


def apply(items: list[pytest.Item]) -> None:
    reach = Reach()
    for item in items:
        kinds = classify(item, reach)
        for kind in sorted(kinds):
            item.add_marker(kind)
        if not kinds and item.get_closest_marker("real_migrations") is None:
            item.add_marker("unit")
