"""``read_position``: how far the open reader of a file has come, for progress bars."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from farmhunt.sources.framing import open_decompressed, read_position


@pytest.mark.parametrize("packed", [False, True])
def test_position_grows_to_the_size_on_disk_and_ends_with_the_reader(
    tmp_path: Path, packed: bool
) -> None:
    data = os.urandom(3 << 20).hex().encode()  # 6 MiB that gzip cannot shrink much
    path = tmp_path / ("x.log.gz" if packed else "x.log")
    path.write_bytes(gzip.compress(data, compresslevel=1) if packed else data)
    size = path.stat().st_size
    assert read_position(str(path)) is None
    with open_decompressed(str(path)) as reader:
        reader.read(1 << 20)
        early = read_position(str(path))
        assert early is not None and 0 < early < size
        while reader.read(1 << 20):
            pass
        assert read_position(str(path)) == size
    assert read_position(str(path)) is None
