"""A stack whose simulated phones in "manual" mode ring for real seconds (until the test answers
them, or 30 s), for the calls back that must be seen ringing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def ringing_stack(database_url: str) -> Iterator[object]:
    from tests.stack import running_stack

    with running_stack(database_url, gather_time_scale=1.0) as running:
        yield running
