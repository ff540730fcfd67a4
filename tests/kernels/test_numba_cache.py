"""Where numba caches the compiled kernels when the package folder is read-only.

Each case runs a fresh interpreter on a copy of the package whose folders
cannot hold a ``__pycache__`` (a file of that name stands in each folder, which
stops root too; the folders are also made read-only), compiles one small
kernel and looks for its cache files.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import skgraphemb

_SCRIPT = """
import os, numpy as np
from skgraphemb._kernels._random import item_state
assert item_state(1, 2).shape == (1,)
print(os.environ.get("NUMBA_CACHE_DIR", ""))
"""


@pytest.fixture
def read_only_package(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(Path(skgraphemb.__file__).parent, root / "skgraphemb", ignore=shutil.ignore_patterns("__pycache__"))
    folders = [Path(d) for d, _, _ in os.walk(root / "skgraphemb")]
    for folder in folders:
        (folder / "__pycache__").touch()
    for folder in folders:
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    yield root
    for folder in folders:
        folder.chmod(stat.S_IRWXU)


def _run(site: Path, **env) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    environ.update(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1", **env)  # cwd=site: not the checkout
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=environ, cwd=site, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _cached(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("_random.item_state-*.nbi"))


def test_read_only_package_caches_in_the_users_cache_folder(read_only_package, tmp_path):
    cache_home = tmp_path / "cache"
    assert _run(read_only_package, XDG_CACHE_HOME=str(cache_home)) == ""
    assert _cached(cache_home / "numba")
    assert not _cached(read_only_package)


def test_no_writable_cache_folder_falls_back_to_the_temporary_directory(read_only_package, tmp_path):
    """Before: numba found nowhere to cache and the kernel module failed to
    import (RuntimeError: cannot cache function ... no locator available)."""
    blocked = tmp_path / "not-a-folder"
    blocked.touch()  # the user's cache folder cannot be created under a file
    temp = tmp_path / "tmp"
    temp.mkdir()
    used = _run(read_only_package, XDG_CACHE_HOME=str(blocked / "cache"), TMPDIR=str(temp))
    assert Path(used).parent == temp and Path(used).name.startswith("skgraphemb-numba-")
    assert _cached(Path(used))
