"""Stories across outlets (crawler/stories): the labelled set's pairwise
precision and recall, the seeds after `scrapy replay` in two runs, changed,
removed and deleted articles, on real SQLite and PostgreSQL databases."""
from __future__ import annotations

import dataclasses
import subprocess
from datetime import timedelta

import pytest
from alembic import command
from scrapy.settings import Settings
from sqlalchemy import delete, event, func, select, text, update

from crawler.stories.assign import StoryAssigner
from crawler.stories.features import BANDS
from crawler.stories.listing import format_stories, parse_since, top_stories
from db.models import Article, StoryBand, StoryRow, StoryTerm
from db.session import alembic_config, prepare_database
from db.store import ArticleStore
from tests.replay_runner import REPO, SCRAPY, run_replay
from tests.story_set import items, load_set, pair_score, story_of_url

SEEDS = REPO / "seeds"
KHABERAIN_LAVROV = "002_1f4e6ce772e1f267.txt"
AAWSAT_LAVROV = "003_7c80853fbd544c67.txt"


@pytest.fixture
def engine(db_url):
    engine = prepare_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def story_set():
    entries = load_set()
    return entries, items(entries)


def by_url(story_set, url: str):
    entries, articles = story_set
    return dataclasses.replace(next(item for item in articles if item.url == url))


def in_order_of_publication(entries, articles):
    """As a crawl meets them: by publication time, an undated one where the file has it."""
    keys, last = [], None
    for index, item in enumerate(articles):
        last = item.published_at or last
        keys.append((last, index))
    return [articles[index] for _, index in sorted(keys)]


def test_the_labelled_set_meets_its_goal(engine, story_set):
    """One article per batch (each finds the earlier ones in the database), in
    the order a crawl meets them."""
    entries, articles = story_set
    store = ArticleStore(engine)
    for item in in_order_of_publication(entries, articles):
        assert store.write_articles([dataclasses.replace(item)]) == ["new"]
    score = pair_score(entries, story_of_url(engine))
    print(score.line())
    assert score.precision >= 0.95 and score.recall >= 0.90, (score.false_pairs, score.missed_pairs)
    # The topics that are not one event stay apart.
    stories = story_of_url(engine)
    for first, second in (("shoigu-pyongyang-2023-07", "shoigu-pyongyang-2024-09"),
                          ("g20-lavrov-wang-2024-11", "shoigu-beijing-2024-11"),
                          ("lavrov-beijing-2024-04", "g20-lavrov-wang-2024-11"),
                          ("opec-delay-2024-12-05", "opec-postpone-2024-11-03")):
        a = {stories[e["url"]] for e in entries if e["event"] == first}
        b = {stories[e["url"]] for e in entries if e["event"] == second}
        assert not a & b, (first, second)

    # What `scrapy stories` lists: most outlets first; --since leaves out the April visit.
    [top, second] = top_stories(engine, limit=2, with_articles=True)
    assert (top.outlet_count, top.article_count) == (4, 4) and second.outlet_count == 3
    assert {a.outlet for a in top.articles} == {"24ae", "aawsat", "khaberain", "thenewkhalij"}
    recent = top_stories(engine, since=parse_since("2024-11-01"), limit=50)
    assert top.id not in {story.id for story in recent}
    assert {story.title for story in recent[:2]} == {
        "لافروف ووانغ يي يبحثان أوكرانيا وكوريا على هامش قمة العشرين", "أوبك+ تؤجل زيادة الإنتاج حتى أبريل 2025"}
    assert "4  2024-04-08  2024-04-09  لافروف يبدأ زيارة إلى الصين تستمر يومين" in format_stories([top])


def test_one_batch_groups_as_article_by_article(sqlite_url, story_set):
    entries, articles = story_set
    engine = prepare_database(sqlite_url)
    ArticleStore(engine).write_articles([dataclasses.replace(item) for item in articles])
    score = pair_score(entries, story_of_url(engine))
    assert score.precision >= 0.95 and score.recall >= 0.90, (score.false_pairs, score.missed_pairs)
    with engine.connect() as connection:
        summary = connection.execute(text(
            "SELECT story_id, title, outlet_count, article_count, outlets, first_published_at, last_published_at "
            "FROM story_summary ORDER BY outlet_count DESC, article_count DESC")).all()
        top = summary[0]
        assert (top.outlet_count, top.article_count) == (4, 4)
        assert top.outlets == "24ae; aawsat; khaberain; thenewkhalij"
        # The first report's title; the undated one counts in the story, not in its times.
        assert top.title == "لافروف يبدأ زيارة إلى الصين تستمر يومين"
        assert top.first_published_at.startswith("2024-04-08") and top.last_published_at.startswith("2024-04-09")
        listed = connection.execute(text(
            "SELECT outlet, url, title, published_at FROM story_articles WHERE story_id = :s"), {"s": top.story_id}
        ).all()
        assert {row.outlet for row in listed} == {"24ae", "aawsat", "khaberain", "thenewkhalij"}
        assert sum(row.article_count for row in summary) == len(entries)
    engine.dispose()


def test_seeds_the_same_event_shares_a_story_across_runs(tmp_path):
    """Khaberain's report of Lavrov in Beijing in one run, the other seeds in the
    next: Asharq Al-Awsat's report of that visit joins its story, no other seed
    does. (Both engines read and write stories with the same code, tested above.)"""
    url = f"sqlite:///{tmp_path / 'news.db'}"
    first = tmp_path / "first"
    rest = tmp_path / "rest"
    first.mkdir(), rest.mkdir()
    for seed in SEEDS.iterdir():
        (first if seed.name == KHABERAIN_LAVROV else rest).joinpath(seed.name).write_bytes(seed.read_bytes())
    for folder in (first, rest):
        result = run_replay(url, folder)
        assert result.returncode == 0, result.stdout + result.stderr

    engine = prepare_database(url)
    with engine.connect() as connection:
        stories = dict(connection.execute(select(Article.input_ref, Article.story_id)).all())
        summary = connection.execute(text("SELECT outlet_count, article_count, outlets FROM story_summary "
                                          "ORDER BY outlet_count DESC")).all()
    engine.dispose()
    by_file = {ref.rsplit("/", 1)[-1]: story for ref, story in stories.items()}
    assert len(by_file) == 5 and None not in by_file.values()
    assert by_file[KHABERAIN_LAVROV] == by_file[AAWSAT_LAVROV]
    assert len(set(by_file.values())) == 4  # no two other seeds share one
    assert (summary[0].outlet_count, summary[0].article_count, summary[0].outlets) == (2, 2, "aawsat; khaberain")

    listing = subprocess.run([str(SCRAPY), "stories", "--database", url, "--articles", "-n", "1"],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "aawsat; khaberain" in listing.stdout and "لقاء تاريخي بين شي جين بينغ وسيرغي لافروف" in listing.stdout
    assert listing.stdout.count("file://") == 2


def test_a_changed_article_keeps_or_leaves_its_story(engine, story_set):
    beijing = "https://aawsat.com/العالم/4954101"
    xi = "https://24.ae/article/820114"
    g20 = "https://aawsat.com/العالم/5083302"
    store = ArticleStore(engine)
    store.write_articles([by_url(story_set, beijing), by_url(story_set, xi), by_url(story_set, g20)])
    first = story_of_url(engine)
    assert first[beijing] == first[xi] != first[g20]

    # An edited headline: still the same event, the same story.
    edited = by_url(story_set, xi)
    edited.title = "الرئيس الصيني يستقبل وزير الخارجية الروسي في بكين"
    assert store.write_articles([edited]) == ["updated"]
    assert story_of_url(engine) == first

    # The page now tells another event (the G20 meeting, in November): it moves there.
    replaced = by_url(story_set, g20)
    replaced.url, replaced.outlet = xi, "24ae"
    assert store.write_articles([replaced]) == ["updated"]
    now = story_of_url(engine)
    assert now[xi] == now[g20] != now[beijing]
    # Its terms and bands are those of its new text, once each.
    with engine.connect() as connection:
        [row_id] = connection.execute(select(Article.id).where(Article.url == xi)).scalars()
        bands = connection.execute(select(func.count()).where(StoryBand.article_id == row_id)).scalar_one()
        terms = set(connection.execute(select(StoryTerm.term).where(StoryTerm.article_id == row_id)).scalars())
        titles = dict(connection.execute(select(StoryRow.id, StoryRow.title)).all())
    assert bands == BANDS and "ريو" in terms and "شي" not in terms
    assert titles[now[beijing]] == by_url(story_set, beijing).title

    # And back alone, in a story of its own once it matches nothing.
    alone = by_url(story_set, "https://thenewkhalij.news/article/289400")  # the earthquake
    alone.url, alone.outlet = xi, "24ae"
    store.write_articles([alone])
    last = story_of_url(engine)
    assert last[xi] not in (last[beijing], last[g20])


def test_an_undated_report_moves_to_its_event_when_that_comes(engine, story_set):
    """Khaberain's undated report of Lavrov in Beijing comes when only the G20
    meeting's reports are stored (the same ministers, in November) and joins
    them; the Beijing reports come next and take it."""
    entries, articles = story_set
    g20 = [item for item, e in zip(articles, entries) if e["event"] == "g20-lavrov-wang-2024-11"]
    beijing = [item for item, e in zip(articles, entries) if e["event"] == "lavrov-beijing-2024-04"]
    undated = next(item for item in beijing if item.published_at is None)
    store = ArticleStore(engine)
    for item in (*g20, undated):
        store.write_articles([dataclasses.replace(item)])
    assert story_of_url(engine)[undated.url] == story_of_url(engine)[g20[0].url]
    for item in beijing:
        if item is not undated:
            store.write_articles([dataclasses.replace(item)])
    stories = story_of_url(engine)
    assert {stories[item.url] for item in beijing} == {stories[beijing[0].url]}
    assert {stories[item.url] for item in g20} == {stories[g20[0].url]} != {stories[beijing[0].url]}
    with engine.connect() as connection:
        summary = {row.story_id: (row.article_count, row.outlet_count, row.outlets) for row in connection.execute(
            text("SELECT story_id, article_count, outlet_count, outlets FROM story_summary"))}
    assert summary == {stories[g20[0].url]: (3, 3, "24ae; aawsat; thenewkhalij"),
                       stories[beijing[0].url]: (4, 4, "24ae; aawsat; khaberain; thenewkhalij")}


def test_removed_and_deleted_articles(engine, story_set):
    urls = ["https://thenewkhalij.news/article/310201", "https://aawsat.com/العالم/4954101",
            "https://24.ae/article/820114"]
    store = ArticleStore(engine)
    store.write_articles([by_url(story_set, url) for url in urls[:2]])
    with engine.begin() as connection:
        connection.execute(update(Article).where(Article.url == urls[0]).values(removed_at=func.now()))
    stories = story_of_url(engine)
    # A removed page was published: it keeps its story, and the story its count.
    assert stories[urls[0]] == stories[urls[1]]
    with engine.begin() as connection:
        connection.execute(delete(Article).where(Article.url == urls[1]))
        assert connection.execute(select(func.count()).select_from(StoryTerm).join(
            Article, Article.id == StoryTerm.article_id, isouter=True).where(Article.id.is_(None))).scalar_one() == 0
        [(count,)] = connection.execute(text("SELECT article_count FROM story_summary")).all()
        assert count == 1
    # A later report finds the story through the article left in it.
    store.write_articles([by_url(story_set, urls[2])])
    stories = story_of_url(engine)
    assert stories[urls[2]] == stories[urls[0]]


def test_near_duplicates_join_beyond_the_event_window(sqlite_url, story_set):
    """An agency text republished ten days later, edited: its shingles find it."""
    engine = prepare_database(sqlite_url)
    original = by_url(story_set, "https://24.ae/article/872001")
    copy = by_url(story_set, "https://thenewkhalij.news/article/331501")
    copy.published_at = original.published_at + timedelta(days=10)
    unrelated = by_url(story_set, "https://aawsat.com/الاقتصاد/5078200")
    store = ArticleStore(engine, StoryAssigner(window_days=3))
    store.write_articles([original])
    store.write_articles([copy, unrelated])
    stories = story_of_url(engine)
    assert stories[original.url] == stories[copy.url] != stories[unrelated.url]
    # Beyond the near-duplicate window too, it is another story.
    late = by_url(story_set, "https://thenewkhalij.news/article/331501")
    late.url, late.outlet = "https://aawsat.com/الاقتصاد/5099001", "aawsat"
    late.published_at = original.published_at + timedelta(days=60)
    store.write_articles([late])
    assert story_of_url(engine)[late.url] != stories[original.url]
    engine.dispose()


ENGLISH_REPORTS = {
    "https://news.example/world/vote": (
        "Parliament approves the budget after a long debate",
        "The parliament of the country approved the budget for the next year on Tuesday after a debate "
        "that lasted for more than ten hours, the speaker of the house said in a statement. The vote was "
        "the first of the new session and the opposition said it would challenge the result in the court."),
    "https://news.example/sport/final": (
        "The home team wins the final of the cup in the last minute",
        "The home team won the final of the cup on Tuesday with a goal in the last minute of the game, "
        "the coach of the team said after the match. It was the first title of the club for more than ten "
        "years and the fans said they would celebrate in the streets of the city for the rest of the week."),
}


def test_pages_in_another_language_group_as_near_duplicates_only(sqlite_url, story_set):
    """The terms are weighed by their frequency in Arabic: on English pages
    every word would look rare and two reports of different events, sharing
    only their common words, would match. They keep their own stories, and a
    copy of one still joins it by its shingles."""
    engine = prepare_database(sqlite_url)
    when = by_url(story_set, "https://24.ae/article/872001").published_at
    entries = [{"url": url, "outlet": None, "title": title, "body": body, "published_at": when.isoformat()}
               for url, (title, body) in ENGLISH_REPORTS.items()]
    entries.append({**entries[0], "url": "https://other.example/vote",
                    "published_at": (when + timedelta(hours=2)).isoformat()})
    *pages, copy = [dataclasses.replace(item, language="en") for item in items(entries)]
    store = ArticleStore(engine)
    for page in (*pages, copy):
        store.write_articles([dataclasses.replace(page)])
    stories = story_of_url(engine)
    assert stories[pages[0].url] != stories[pages[1].url]
    assert stories[copy.url] == stories[pages[0].url]
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(StoryTerm)).scalar_one() == 0
    engine.dispose()


def test_story_statements_do_not_grow_with_the_batch(sqlite_url, story_set):
    _, articles = story_set
    engine = prepare_database(sqlite_url)
    store = ArticleStore(engine)
    store.write_articles([dataclasses.replace(item) for item in articles[:5]])
    counts = []
    for batch in (articles[5:10], articles[10:]):
        statements = []
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        store.write_articles([dataclasses.replace(item) for item in batch])
        event.remove(engine, "before_cursor_execute", listener)
        counts.append(sum("stor" in s for s in statements))
    assert counts[1] <= counts[0] + 2 and counts[1] < 25, counts
    engine.dispose()


def test_stories_can_be_turned_off(sqlite_url, story_set):
    _, articles = story_set
    engine = prepare_database(sqlite_url)
    ArticleStore(engine, stories=None).write_articles([dataclasses.replace(articles[0])])
    assert set(story_of_url(engine).values()) == {None}
    assert StoryAssigner.from_settings(Settings({"STORIES_ENABLED": False})) is None
    engine.dispose()


def test_the_migration_gives_stored_articles_their_stories(db_url, story_set):
    """Articles stored before the stories schema get theirs when it is created."""
    entries, articles = story_set
    engine = prepare_database(db_url)
    ArticleStore(engine, stories=None).write_articles([dataclasses.replace(item) for item in articles])
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    prepare_database(engine)
    score = pair_score(entries, story_of_url(engine))
    assert score.precision >= 0.95 and score.recall >= 0.90, (score.false_pairs, score.missed_pairs)
    engine.dispose()


def test_minhash_is_datasketch_bit_for_bit():
    """Bands stored before (computed by datasketch) must meet the new ones."""
    import random

    from datasketch import MinHash

    from crawler.stories.features import MINHASH_SEED, NUM_PERM, bands, minhash, shingles_of

    generator = random.Random(7)
    words = ["الصين", "وزير", "الخارجية", "لافروف", "قال", "news", "2024", "بكين", "موسكو", "اليوم"]
    for size in (1, 3, 40, 700):
        body = " ".join(generator.choice(words) + str(generator.randrange(50)) for _ in range(size))
        shingle_set = shingles_of(body)
        reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)
        reference.update_batch(list(shingle_set))
        assert minhash(shingle_set).tolist() == reference.hashvalues.tolist()
        assert len(set(bands(shingle_set))) == BANDS
    assert bands(set()) == []


def test_the_word_frequency_table_is_cached_and_rebuilt_when_unreadable(tmp_path, monkeypatch):
    import marshal

    from crawler.stories import frequencies

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = frequencies.build()
    assert built["الصين"] > built["لافروف"] > 0  # folded spellings, most frequent first
    assert frequencies.load() == built
    cached = list((tmp_path / "arabic-news-crawler").iterdir())
    assert len(cached) == 1 and cached[0].suffix == ".marshal"
    assert frequencies.load() == built  # read back from the file
    cached[0].write_bytes(cached[0].read_bytes()[:1000])  # cut short
    assert frequencies.load() == built
    assert marshal.loads(cached[0].read_bytes()) == built  # and written again whole
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # no directory can be made there
    assert frequencies.load() == built


def test_a_story_of_many_copies_is_compared_by_its_latest_articles(sqlite_url, story_set):
    """Forty copies of one report (each edited a little) make one story; a
    new copy is compared with the latest STORY_SAMPLE of them only, whether
    they are stored or earlier in its batch, and still joins them."""
    import hashlib

    from crawler.stories.assign import STORY_SAMPLE, latest_per_story

    engine = prepare_database(sqlite_url)
    original = by_url(story_set, "https://24.ae/article/872001")
    copies = []
    for number in range(40):
        body = f"{original.body}\n\nتحديث رقم {number}"
        copy = dataclasses.replace(original, url=f"{original.url}-{number}", input_ref=None, body=body,
                                   content_hash=hashlib.sha256(body.encode()).hexdigest())
        copies.append(copy)
    store = ArticleStore(engine, StoryAssigner())
    store.write_articles(copies[:30])  # 30 in one batch
    store.write_articles(copies[30:])
    stories = story_of_url(engine)
    assert len({stories[copy.url] for copy in copies}) == 1
    with engine.connect() as connection:
        term = connection.execute(select(StoryTerm.term).group_by(StoryTerm.term)
                                  .order_by(func.count().desc()).limit(1)).scalar_one()
        every = connection.execute(select(StoryTerm.article_id).where(StoryTerm.term == term)).scalars().all()
        latest = connection.execute(latest_per_story(connection, StoryTerm.term, [term])).all()
    assert len(every) == 40
    assert sorted(article_id for article_id, _ in latest) == sorted(every)[-STORY_SAMPLE:]
    engine.dispose()


def test_the_candidates_of_a_key_are_its_latest_articles_a_few_of_each_story(db_url):
    """For each key and condition, the latest KEY_SAMPLE articles that have the
    key, and of those the latest STORY_SAMPLE of each story: a Python reading
    of that rule against the query, on stories of hundreds of articles, dated
    and undated, sharing terms and buckets."""
    import random
    from datetime import datetime, timezone

    from crawler.stories.assign import KEY_SAMPLE, STORY_SAMPLE, latest_per_story

    engine = prepare_database(db_url)
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    # The last term is beyond the BMP (JSON would escape it as a surrogate pair).
    terms, buckets = ["غزة", "قمة", "نفط", "𝐫ain"], [-(2**62), 5, 2**40]
    articles, term_rows, band_rows = [], [], []
    for article_id in range(1, 401):
        story = rng.choice([1, 2, 3, None])  # None: stored before stories were kept
        published = None if rng.random() < 0.4 else start + timedelta(hours=rng.randrange(24 * 30))
        articles.append({"id": article_id, "url": f"https://example.com/{article_id}", "story_id": story,
                         "published_at": published, "first_seen_at": start, "last_seen_at": start, "version": 1})
        for term in rng.sample(terms, rng.randrange(1, len(terms) + 1)):
            term_rows.append({"article_id": article_id, "term": term, "lead_weight": 1.0, "text_weight": 1.0,
                              "published_at": published})
        for band, bucket in enumerate(rng.sample(buckets, rng.randrange(0, len(buckets) + 1))):
            band_rows.append({"article_id": article_id, "band": band, "bucket": bucket})
    # Ids not in the order of insertion, as a later batch rewrites an earlier article's terms.
    rng.shuffle(term_rows)
    with engine.begin() as connection:
        connection.execute(StoryRow.__table__.insert(), [{"id": i, "created_at": start, "updated_at": start}
                                                          for i in (1, 2, 3)])
        connection.execute(Article.__table__.insert(), articles)
        connection.execute(StoryTerm.__table__.insert(), term_rows)
        connection.execute(StoryBand.__table__.insert(), band_rows)
    by_id = {a["id"]: a for a in articles}

    def expected(rows, keep):
        kept = set()
        for key in {key for _, key in rows}:
            latest = sorted((article_id for article_id, k in rows if k == key and keep(by_id[article_id])),
                            reverse=True)[:KEY_SAMPLE]
            per_story: dict[int, int] = {}
            for article_id in latest:
                story = by_id[article_id]["story_id"] or -article_id
                per_story[story] = per_story.get(story, 0) + 1
                if per_story[story] <= STORY_SAMPLE:
                    kept.add((article_id, by_id[article_id]["story_id"]))
        return kept

    window = (start + timedelta(days=10), start + timedelta(days=13))
    term_pairs = [(r["article_id"], r["term"]) for r in term_rows]
    band_pairs = [(r["article_id"], r["bucket"]) for r in band_rows]
    cases = [
        (StoryTerm.term, terms[:3], (), term_pairs, lambda a: True),
        (StoryTerm.term, terms, (StoryTerm.published_at.is_(None),), term_pairs, lambda a: a["published_at"] is None),
        (StoryTerm.term, terms[1:], (StoryTerm.published_at.between(*window),), term_pairs,
         lambda a: a["published_at"] is not None and window[0] <= a["published_at"] <= window[1]),
        (StoryBand.bucket, buckets, (), band_pairs, lambda a: True),
    ]
    with engine.connect() as connection:
        for column, keys, conditions, pairs, keep in cases:
            got = connection.execute(latest_per_story(connection, column, keys, *conditions)).all()
            want = expected([(article_id, key) for article_id, key in pairs if key in keys], keep)
            assert set(map(tuple, got)) == want, (column, conditions)
            assert len(want) < sum(1 for _, key in pairs if key in keys)  # the caps took rows out
    engine.dispose()


def test_the_features_a_replay_reader_computes_are_the_stored_rows_features(sqlite_url):
    """A replay's reader (a worker with -j N) computes the story features of
    each article; they must be what the stored row gives, since later
    articles are compared with the stored terms and bands."""
    from crawler.pagereader import PageReader, SavedFile
    from crawler.pages import CAPTURE
    from crawler.stories.features import article_features

    settings = Settings()
    settings.setmodule("crawler.settings")
    reader = PageReader(settings)
    articles = [reader.read(SavedFile(path, CAPTURE)).entry for path in sorted(SEEDS.glob("*.txt"))]
    assert all(article.story_features is not None for article in articles)
    engine = prepare_database(sqlite_url)
    ArticleStore(engine, StoryAssigner()).write_articles(articles)
    with engine.connect() as connection:
        rows = {row.url: row._mapping for row in connection.execute(select(
            Article.id, Article.url, Article.title, Article.subtitle, Article.body, Article.captions,
            Article.language))}
        bands = {}
        for article_id, band, bucket in connection.execute(select(StoryBand.article_id, StoryBand.band,
                                                                  StoryBand.bucket)):
            bands.setdefault(article_id, {})[band] = bucket
    engine.dispose()
    assert len(rows) == len(articles) == 5
    for article in articles:
        row = rows[article.url]
        stored = article_features(row)
        assert (article.story_features.profile.lead, article.story_features.profile.text) == (
            stored.profile.lead, stored.profile.text)
        assert article.story_features.buckets == stored.buckets == [bands[row["id"]][b] for b in range(BANDS)]


def test_story_terms_made_before_0010_get_their_articles_times(db_url, story_set):
    """A story_terms table as migration 0006 first made it (no publication,
    an index on the term alone) gets the column from its articles, and the
    (term, published_at) index, at 0010; the stories stay the same."""
    import hashlib

    from sqlalchemy import inspect

    entries, articles = story_set
    engine = prepare_database(db_url)
    ArticleStore(engine, StoryAssigner()).write_articles([dataclasses.replace(item) for item in articles])
    before = story_of_url(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0009")
        connection.execute(text("DROP INDEX ix_story_terms_term_published_at"))
        connection.execute(text("ALTER TABLE story_terms DROP COLUMN published_at"))
        connection.execute(text("CREATE INDEX ix_story_terms_term ON story_terms (term)"))
    prepare_database(engine)
    indexes = {index["name"] for index in inspect(engine).get_indexes("story_terms")}
    # 0010's (term, published_at) index, which 0011 extended by the article.
    assert "ix_story_terms_term_published_at_article_id" in indexes and "ix_story_terms_term" not in indexes
    with engine.connect() as connection:
        mismatched = connection.execute(
            select(func.count()).select_from(StoryTerm).join(Article, Article.id == StoryTerm.article_id)
            .where(func.coalesce(StoryTerm.published_at, Article.first_seen_at)
                   != func.coalesce(Article.published_at, Article.first_seen_at))).scalar_one()
        dated = connection.execute(select(func.count()).select_from(StoryTerm)
                                   .where(StoryTerm.published_at.is_not(None))).scalar_one()
    assert mismatched == 0 and dated > 0
    # A later copy, edited, still finds its story through the index.
    original = "https://aawsat.com/الاقتصاد/5078200"
    late = by_url(story_set, original)
    late.url, late.body = original + "-again", late.body + "\n\nتحديث"
    late.content_hash = hashlib.sha256(late.body.encode()).hexdigest()
    ArticleStore(engine, StoryAssigner()).write_articles([late])
    after = story_of_url(engine)
    assert after[late.url] == before[original]
    assert {url: after[url] for url in before} == before
    engine.dispose()


def test_a_batch_looks_for_candidates_in_the_windows_of_its_dates():
    from datetime import datetime, timezone

    from crawler.stories.assign import windows

    day = timedelta(days=1)
    first = datetime(2019, 3, 1, tzinfo=timezone.utc)
    later = datetime(2024, 6, 1, tzinfo=timezone.utc)
    # Two days of 2019 and two of 2024: two ranges, not the five years between them.
    assert windows([later, first, first + day, later + 5 * day], 3 * day) == [
        (first - 3 * day, first + 4 * day), (later - 3 * day, later + 8 * day)]
    assert windows([first, first + 7 * day], 3 * day) == [(first - 3 * day, first + 3 * day),
                                                          (first + 4 * day, first + 10 * day)]
    # At most four queries: the closest windows are merged.
    spread = [first + 10 * n * day for n in range(6)] + [later]
    assert windows(spread, day) == [(first - day, first + 31 * day), (first + 39 * day, first + 41 * day),
                                    (first + 49 * day, first + 51 * day), (later - day, later + day)]


def test_a_failure_of_the_readers_features_costs_no_page(sqlite_url, monkeypatch, caplog):
    """The reader's story features failing (a bug) leave the item without
    them: it is stored all the same, and the store computes its features."""
    import crawler.stories.features as features
    from crawler.pagereader import PageReader, SavedFile
    from crawler.pages import CAPTURE

    settings = Settings()
    settings.setmodule("crawler.settings")
    reader = PageReader(settings)
    computed = features.article_features

    def broken(record):
        raise RuntimeError("a bug")

    monkeypatch.setattr(features, "article_features", broken)
    outcome = reader.read(SavedFile(SEEDS / KHABERAIN_LAVROV, CAPTURE))
    monkeypatch.setattr(features, "article_features", computed)
    assert outcome.entry.body and outcome.entry.story_features is None
    assert outcome.stats["stories/features_failed"] == 1 and "Story features failed" in caplog.text
    engine = prepare_database(sqlite_url)
    assert ArticleStore(engine, StoryAssigner()).write_articles([outcome.entry]) == ["new"]
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(StoryBand)).scalar_one() == BANDS
    engine.dispose()
