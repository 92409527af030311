"""`scrapy replay` end to end: seeds into SQLite and PostgreSQL, re-runs, bad inputs."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.replay_runner import REPO, run_replay
from tests.scoring import load_gold, score_row

SEEDS = REPO / "seeds"


def sqlite_rows(path: Path, table: str = "articles") -> list[dict]:
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(f"SELECT * FROM {table}")]
    finally:
        con.close()


def rows_for_gold(rows: list[dict]) -> dict[str, list[dict]]:
    return {g["file"]: [r for r in rows if g["file"].split(".")[0] in r["url"]] for g in load_gold()}


def assert_seed_score(rows: list[dict]) -> None:
    matched = rows_for_gold(rows)
    f1s = []
    for gold in load_gold():
        hits = matched[gold["file"]]
        assert len(hits) == 1, f"{gold['file']}: {len(hits)} rows"
        verdict = score_row(gold, hits[0])
        for field in ("outlet", "title", "published", "section"):
            if field in verdict:
                assert verdict[field], f"{gold['file']}: {field} is {hits[0].get(field)!r}"
        assert verdict["leaks"] == [], f"{gold['file']}: leaks {verdict['leaks']}"
        f1s.append(verdict["body_f1"])
    assert sum(f1s) / len(f1s) >= 0.98, f1s


def test_seed_replay_into_sqlite_scores_and_is_stable(tmp_path):
    db = tmp_path / "news.db"
    first = run_replay(f"sqlite:///{db}", SEEDS)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "5 files read, 5 stored, 0 rejected" in first.stdout
    rows = sqlite_rows(db)
    assert len(rows) == 5
    assert_seed_score(rows)
    by_file = rows_for_gold(rows)
    assert by_file["000_d63afe6809be283e.txt"][0]["captured_at"].startswith("2025-01-27T19:24:35")
    assert all(r["url"].startswith("file://") for r in rows)

    second = run_replay(f"sqlite:///{db}", SEEDS)
    assert second.returncode == 0, second.stdout + second.stderr
    again = sqlite_rows(db)
    assert len(again) == 5
    assert_seed_score(again)
    total = second.stdout.strip().splitlines()
    assert any(line.startswith("total") and line.split()[1:4] == ["0", "0", "5"] for line in total), second.stdout


def test_replay_into_postgres_matches_sqlite(tmp_path, postgres_url):
    db = tmp_path / "news.db"
    assert run_replay(f"sqlite:///{db}", SEEDS).returncode == 0
    result = run_replay(postgres_url, SEEDS)
    assert result.returncode == 0, result.stdout + result.stderr

    columns = ["url", "outlet", "title", "subtitle", "body", "section", "authors", "tags",
               "agency", "via", "word_count", "content_hash", "search_text"]
    lite = {r["url"]: r for r in sqlite_rows(db)}
    with create_engine(postgres_url).connect() as con:
        pg_rows = [dict(r._mapping) for r in con.execute(text("SELECT * FROM articles"))]
    assert len(pg_rows) == len(lite) == 5
    for row in pg_rows:
        mine = lite[row["url"]]
        for column in columns:
            assert row[column] == mine[column], (row["url"], column)
        for column in ("published_at", "captured_at"):
            pg_value = row[column].isoformat() if row[column] else None
            assert (pg_value or "")[:19] == (mine[column] or "")[:19], (row["url"], column)
    assert_seed_score(pg_rows)


def make_bad_inputs(folder: Path) -> dict[str, str]:
    """Write one file per kind of bad input; returns file name -> expected outcome."""
    folder.mkdir()
    shutil.copy(SEEDS / "004_e9620a58fadc7eaf.txt", folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    seed = (SEEDS / "003_7c80853fbd544c67.txt").read_text(encoding="utf-8")
    (folder / "windows1256.txt").write_bytes(seed.encode("cp1256"))
    lines = (SEEDS / "001_eaf3ae8403d3c001.txt").read_text(encoding="utf-8").splitlines()
    garbled = [l if l.startswith("تاريخ النشر") else l.encode("utf-8").decode("cp1256", "replace") for l in lines]
    (folder / "mojibake.txt").write_text("\n".join(garbled), encoding="utf-8")
    with open(folder / "huge.txt", "wb") as f:
        f.write(("سطر من النص العربي للتجربة " * 40 + "\n").encode("utf-8") * 11000)
    (folder / "unknown.txt").write_text(
        "id,name,value\n" + "\n".join(f"{i},item{i},{i * 3.5}" for i in range(200)), encoding="utf-8"
    )
    return {
        "good.txt": "stored", "windows1256.txt": "stored", "mojibake.txt": "stored",
        "empty.txt": "empty", "binary.txt": "binary", "huge.txt": "too_large",
        "unknown.txt": "unknown_layout",
    }


def test_bad_inputs_are_counted_logged_and_kept(tmp_path):
    expected = make_bad_inputs(tmp_path / "in")
    assert (tmp_path / "in" / "huge.txt").stat().st_size > 20 * 1024 * 1024
    db = tmp_path / "news.db"
    result = run_replay(f"sqlite:///{db}", tmp_path / "in")
    assert result.returncode == 1, "exit status must say that not every file was stored"
    assert "Traceback" not in result.stderr, result.stderr

    stored = {Path(r["url"]).name: r for r in sqlite_rows(db)}
    for name, outcome in expected.items():
        if outcome == "stored":
            assert name in stored, f"{name} not stored:\n{result.stderr}"
        else:
            assert name not in stored
            assert outcome in result.stdout, f"reason {outcome} missing from summary"
            assert outcome in result.stderr, f"reason {outcome} not logged"

    rejected = {Path(r["url"]).name: r["reason"] for r in sqlite_rows(db, "rejected_pages")}
    assert rejected == {n: o for n, o in expected.items() if o != "stored"}

    assert stored["windows1256.txt"]["outlet"] == "aawsat"
    assert stored["windows1256.txt"]["title"] == "موسكو وبكين تعتزمان «تعزيز التعاون الاستراتيجي»"
    mojibake = stored["mojibake.txt"]
    assert mojibake["title"] == "بعد مغادرة كيم أون.. وزير الخارجية الصيني يزور روسيا"
    assert mojibake["outlet"] == "thenewkhalij"
    assert "ط§ظ„" not in mojibake["body"]
    assert mojibake["published_at"].startswith("2023-09-18")


@pytest.mark.parametrize("name", ["notes.md", "missing.txt"])
def test_unsupported_or_missing_path_given_by_name_is_rejected(tmp_path, name):
    if name == "notes.md":
        (tmp_path / name).write_text("# notes", encoding="utf-8")
    db = tmp_path / "news.db"
    result = run_replay(f"sqlite:///{db}", tmp_path / name)
    assert result.returncode == 1
    reason = "unsupported_format" if name == "notes.md" else "missing"
    assert reason in result.stdout


def test_replay_logs_warnings_only_unless_asked_and_enables_its_progress_line(tmp_path):
    quiet = run_replay(f"sqlite:///{tmp_path / 'a.db'}", SEEDS)
    assert quiet.returncode == 0 and " INFO: " not in quiet.stderr, quiet.stderr[-2000:]
    verbose = run_replay(f"sqlite:///{tmp_path / 'b.db'}", SEEDS, extra=("-L", "INFO"))
    assert " INFO: " in verbose.stderr
    assert "crawler.extensions.ProgressLine" in verbose.stderr
