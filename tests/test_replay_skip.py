"""A replay skips the inputs it stored before from the same bytes with the
same parser version (counted unchanged, `last_seen_at` moved); a changed
file, a changed parser version or `--force` reads the page again."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tests.replay_runner import REPO, run_replay
from tests.test_replay import SEEDS, sqlite_rows


def last_run_stats(db: Path) -> dict:
    con = sqlite3.connect(db)
    try:
        (stats,) = con.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return json.loads(stats)


def seen_at(db: Path) -> dict[str, str]:
    return {row["url"]: row["last_seen_at"] for row in sqlite_rows(db)}


def test_unchanged_inputs_are_skipped_and_changed_ones_read_again(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    db, url = tmp_path / "news.db", f"sqlite:///{tmp_path / 'news.db'}"
    first = run_replay(url, folder, extra=("-j", "1"))
    assert first.returncode == 0, first.stderr[-2000:]
    rows = {row["url"]: row for row in sqlite_rows(db)}
    assert len(sqlite_rows(db, "replay_inputs")) == 5
    first_seen = seen_at(db)

    # One file edited: read again and updated; the other four skipped, unchanged.
    edited = folder / "003_7c80853fbd544c67.txt"
    edited.write_text(edited.read_text(encoding="utf-8").replace("الرئيس", "رئيس", 1), encoding="utf-8")
    second = run_replay(url, folder)
    assert second.returncode == 0, second.stderr[-2000:]
    total = next(line.split() for line in second.stdout.splitlines() if line.startswith("total"))
    assert total[1:4] == ["0", "1", "4"], second.stdout
    assert "5 files read, 5 stored, 0 rejected" in second.stdout
    stats = last_run_stats(db)
    assert stats["replay/skipped_unchanged"] == 4
    assert stats["replay/read"] == 5  # the skipped ones are read (hashed), not extracted
    again = seen_at(db)
    assert all(again[u] > first_seen[u] for u in again), (first_seen, again)
    assert {u: r["body"] for u, r in rows.items() if "003_" not in u} == {
        row["url"]: row["body"] for row in sqlite_rows(db) if "003_" not in row["url"]}

    # --force reads every page: nothing skipped, all unchanged.
    forced = run_replay(url, folder, extra=("--force",))
    assert "total              0        0          5" in forced.stdout, forced.stdout
    assert "replay/skipped_unchanged" not in last_run_stats(db)

    # Another parser version (a setting of the normalizers) reads every page again too.
    other = run_replay(url, folder, extra=("-s", "VALIDATION_MIN_BODY_WORDS=19"))
    assert "total              0        0          5" in other.stdout, other.stdout
    assert "replay/skipped_unchanged" not in last_run_stats(db)


def test_an_input_whose_article_another_input_changed_is_read_again(tmp_path):
    # Two saved copies of one article (one canonical URL, one row), the second edited.
    page = (REPO / "tests" / "fixtures" / "html" / "aawsat_article.html").read_text(encoding="utf-8")
    first, later = tmp_path / "first", tmp_path / "later"
    first.mkdir()
    later.mkdir()
    (first / "article.html").write_text(page, encoding="utf-8")
    (later / "article.html").write_text(page.replace("ناقش وزيرا", "بحث وزيرا"), encoding="utf-8")
    db, url = tmp_path / "news.db", f"sqlite:///{tmp_path / 'news.db'}"
    assert run_replay(url, first).returncode == 0
    assert run_replay(url, later).returncode == 0
    [row] = sqlite_rows(db)
    assert "بحث وزيرا" in row["body"]
    # The first copy's bytes are as they were, but its row holds the later text: read again.
    again = run_replay(url, first)
    total = next(line.split() for line in again.stdout.splitlines() if line.startswith("total"))
    assert total[1:4] == ["0", "1", "0"], again.stdout
    assert "replay/skipped_unchanged" not in last_run_stats(db)
    [row] = sqlite_rows(db)
    assert "ناقش وزيرا" in row["body"]


def test_a_file_with_the_size_and_time_it_had_is_not_read_again(tmp_path):
    """A file known by its stat is skipped without being read (as make and
    rsync judge files); a file modified in the seconds before it was read is
    known by its bytes only, since a coarse file system clock could give its
    next version the same time."""
    import os
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    an_hour_ago = time.time_ns() - 3600 * 10**9
    for path in SEEDS.glob("*.txt"):
        shutil.copy(path, folder / path.name)
        os.utime(folder / path.name, ns=(an_hour_ago, an_hour_ago))
    fresh = folder / "004_e9620a58fadc7eaf.txt"
    fresh.touch()  # modified now
    db, url = tmp_path / "news.db", f"sqlite:///{tmp_path / 'news.db'}"
    assert run_replay(url, folder, extra=("-j", "1")).returncode == 0
    stats = {Path(row["input_ref"]).name: (row["file_size"], row["file_mtime_ns"])
             for row in sqlite_rows(db, "replay_inputs")}
    assert stats.pop(fresh.name) == (None, None)
    assert all(stat == ((folder / name).stat().st_size, an_hour_ago) for name, stat in stats.items())

    def same_size_edit(path: Path, mtime_ns: int) -> None:
        text = path.read_text(encoding="utf-8")
        edited = text.replace("الرئيس", "الرءيس", 1)
        assert edited != text and len(edited.encode()) == len(text.encode())
        path.write_text(edited, encoding="utf-8")
        os.utime(path, ns=(mtime_ns, mtime_ns))

    old = folder / "003_7c80853fbd544c67.txt"
    same_size_edit(old, an_hour_ago)
    fresh_mtime = fresh.stat().st_mtime_ns
    same_size_edit(fresh, fresh_mtime)
    second = run_replay(url, folder)
    assert second.returncode == 0, second.stderr[-2000:]
    by_name = {Path(row["input_ref"]).name: row["body"] for row in sqlite_rows(db)}
    assert "الرءيس" in by_name[fresh.name]  # known by its bytes: read again
    assert "الرءيس" not in by_name[old.name]  # known by its stat: skipped
    assert last_run_stats(db)["replay/skipped_unchanged"] == 4
    # --force reads the bytes of every file.
    assert run_replay(url, folder, extra=("--force",)).returncode == 0
    assert "الرءيس" in {Path(row["input_ref"]).name: row["body"] for row in sqlite_rows(db)}[old.name]
