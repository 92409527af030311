"""Output files that are whole or absent."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_whole(path: str | Path, mode: str = "wb", **open_args):
    """A stream to write `path`: written under a temporary name beside it and
    renamed over it once the block ends, so a file of that name is always
    complete (a failure leaves the previous file, if any, as it was)."""
    target = Path(path)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, mode, **open_args) as stream:
            yield stream
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(partial, 0o666 & ~mask)  # mkstemp's file is private; the export is not
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
