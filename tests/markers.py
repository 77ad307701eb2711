"""Markers set at collection, from what each test reaches, so nobody has to remember them.

A test is marked
- `browser` when it (or a fixture or helper of the tests package it uses) calls `chromium()`;
- `server` when it starts the app or the simulator (under uvicorn or not), `hotline serve`, or any
  other process (`running_stack`, `ServerThread`, `serve_process`, `logged_serve`,
  `two_instances`, `create_app`, `create_simulator_app`, uvicorn, `subprocess`), needs Redis, or
  uses a fixture of tests/conftest.py that does. A test that runs `hotline serve` processes
  (`serve_process`, `logged_serve`, `two_instances`) is also put in the xdist group "processes",
  so that under `--dist loadgroup` two such tests never overlap;
- `postgres` when it runs on PostgreSQL (the `postgres` variant of a parametrized database, or a
  test that asks for PostgreSQL itself);
- `unit` when none of these applies and it does not step through the migrations
  (`real_migrations`, or `upgrade` itself): pure functions, and services on SQLite.
  `make test-fast` runs only these.

"Reaches" is found by reading code, not by running it: the global names that the test function,
its fixtures and the test-package functions and classes they name refer to, transitively.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Fixtures of tests/conftest.py, by name (their code is not read: `database_url` names both
# backends, and which one a test gets is in its parameters).
_SERVER_FIXTURES = {"app_only", "quiet_app", "stack"}


def _kinds_of_objects() -> dict[int, str]:
    """The objects that give a test a kind, by id. "processes" (it runs `hotline serve`
    processes) implies "server"; "migrations" (it runs them) keeps a test out of "unit"."""
    import uvicorn

    from hotline.app import create_app
    from hotline.migrate import upgrade
    from hotline.simulator.app import create_simulator_app
    from tests import conftest, instances, processes, servers, stack

    kinds: dict[int, str] = {
        id(stack.running_stack): "server",
        id(servers.ServerThread): "server",
        id(create_app): "server",
        id(create_simulator_app): "server",
        id(uvicorn.Server): "server",
        id(uvicorn.run): "server",
        id(subprocess): "server",
        id(subprocess.run): "server",
        id(subprocess.Popen): "server",
        id(conftest.require_redis): "server",  # a service of its own
        id(servers.serve_process): "processes",
        id(processes.logged_serve): "processes",
        id(instances.two_instances): "processes",
        id(conftest.require_postgres): "postgres",
        id(conftest.fresh_postgres_database): "postgres",
        id(conftest.migrated_postgres_database): "postgres",
        id(upgrade): "migrations",
    }
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


_TESTS = str(Path(__file__).parent) + os.sep
_CONFTEST = _TESTS + "conftest.py"


def _ours(obj: Any) -> bool:
    """Defined in a file under tests/ (some are imported by a name of their own, e.g. simtools)."""
    try:
        return inspect.getfile(inspect.unwrap(obj)).startswith(_TESTS)
    except (TypeError, OSError):
        return False


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
                if inspect.getfile(fixturedef.func) == _CONFTEST:
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
        if "processes" in kinds:
            # Under pytest-xdist (--dist loadgroup), one worker runs these one after another:
            # never two tests' `hotline serve` processes (some race two of them) at once.
            item.add_marker(pytest.mark.xdist_group("processes"))
            kinds.add("server")
        for kind in sorted(kinds & {"server", "browser", "postgres"}):
            item.add_marker(kind)
        if not kinds and item.get_closest_marker("real_migrations") is None:
            item.add_marker("unit")
