from __future__ import annotations

from collections.abc import Iterator

import pytest

try:  # tests/ is not a package; pytest puts tests/ on sys.path for the download package
    from download._server import ArchiveServer
except ImportError:  # pragma: no cover - if tests/ becomes a package
    from tests.download._server import ArchiveServer  # type: ignore[no-redef]


@pytest.fixture
def storage() -> Iterator[ArchiveServer]:
    srv = ArchiveServer().start()
    try:
        yield srv
    finally:
        srv.stop()
