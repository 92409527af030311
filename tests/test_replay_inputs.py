"""Every input of `scrapy replay` accounted for: folders read through symbolic
links (each once, loops included), and what cannot be read — broken links,
FIFOs, devices, sockets, files and folders without read permission — rejected
with its reason, never skipped in silence, never blocking the run."""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.replay_runner import REPO, SCRAPY, run_replay

SEEDS = REPO / "seeds"
# As root, read permissions are not checked: the replay runs without the
# capabilities that let root read anything (util-linux setpriv).
WITHOUT_ROOT_READS = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


def table(db: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def stored_files(db: Path) -> list[Path]:
    return sorted(Path(unquote(urlsplit(ref).path)) for (ref,) in table(db, "SELECT input_ref FROM articles"))


def rejected_by_name(db: Path) -> dict[str, str]:
    return {Path(url).name: reason for url, reason in table(db, "SELECT url, reason FROM rejected_pages")}


def seed(index: int) -> Path:
    return sorted(SEEDS.glob("*.txt"))[index]


def test_symlinked_folders_are_read_once_and_broken_links_and_special_files_are_rejected(tmp_path):
    root = tmp_path / "in"
    (root / "real").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(seed(0), root / "real" / "a.txt")
    shutil.copy(seed(1), outside / "b.txt")
    (root / "linked").symlink_to(outside, target_is_directory=True)  # read through the link
    (root / "real" / "loop").symlink_to(root, target_is_directory=True)  # back up: read once
    (root / "again").symlink_to(root / "real", target_is_directory=True)  # a second way in: read once
    (root / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (root / "cycle.txt").symlink_to(root / "cycle.txt")
    os.mkfifo(root / "fifo.html")
    (root / "device.html").symlink_to("/dev/null")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(root / "socket.html"))
    (root / "notes.md").write_text("not a page type: not an input")
    try:
        result = run_replay(f"sqlite:///{tmp_path / 'news.db'}", root)
    finally:
        listener.close()
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    # Each file once, under its real path where it has one.
    assert stored_files(tmp_path / "news.db") == [root / "linked" / "b.txt", root / "real" / "a.txt"]
    assert rejected_by_name(tmp_path / "news.db") == {
        "dangling.txt": "missing", "cycle.txt": "missing",
        "fifo.html": "not_a_file", "device.html": "not_a_file", "socket.html": "not_a_file",
    }
    assert "7 files read, 2 stored, 5 rejected" in result.stdout
    for reason in ("missing 2", "not_a_file 3"):
        assert reason in result.stdout
    assert "broken symbolic link" in result.stderr and "a FIFO" in result.stderr


@pytest.mark.parametrize("name, reason", [("fifo.txt", "not_a_file"), ("/dev/null", "not_a_file"),
                                          ("dangling.html", "missing")])
def test_special_paths_given_by_name_are_rejected_without_blocking(tmp_path, name, reason):
    path = Path(name) if name.startswith("/") else tmp_path / name
    if name == "fifo.txt":
        os.mkfifo(path)  # opened, it would wait for a writer forever
    elif name == "dangling.html":
        path.symlink_to(tmp_path / "gone.html")
    result = run_replay(f"sqlite:///{tmp_path / 'news.db'}", path)
    assert result.returncode == 1
    assert f"{reason} 1" in result.stdout, result.stdout + result.stderr[-2000:]


@pytest.mark.skipif(os.geteuid() == 0 and shutil.which("setpriv") is None,
                    reason="root reads any file; dropping that needs util-linux setpriv")
def test_unreadable_files_and_folders_are_rejected(tmp_path):
    root = tmp_path / "in"
    (root / "locked").mkdir(parents=True)
    shutil.copy(seed(0), root / "readable.txt")
    shutil.copy(seed(1), root / "secret.txt")
    shutil.copy(seed(2), root / "locked" / "inside.txt")
    (root / "secret.txt").chmod(0)
    (root / "locked").chmod(0)
    try:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'news.db'}"}
        result = subprocess.run([*WITHOUT_ROOT_READS, str(SCRAPY), "replay", str(root)], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=300)
    finally:
        (root / "locked").chmod(0o755)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert stored_files(tmp_path / "news.db") == [root / "readable.txt"]
    assert rejected_by_name(tmp_path / "news.db") == {"secret.txt": "unreadable", "locked": "unreadable"}
    assert "unreadable 2" in result.stdout
