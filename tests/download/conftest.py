from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ._server import ArchiveServer


@pytest.fixture
def server() -> Iterator[ArchiveServer]:
    srv = ArchiveServer().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def big_data() -> bytes:
    # 24 MiB of incompressible bytes: large enough for many 1 MiB chunks and several resumes.
    return os.urandom(24 * 1024 * 1024)
