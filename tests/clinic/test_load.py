"""Many writers on one server, the short CI version of ``python -m bench --only clinic``
(bench/clinic_load.py): processes saving, re-sending and reviewing at once lose nothing and
double nothing. Speed is the bench's business; here only correctness."""

from __future__ import annotations

from bench.clinic_load import run_load


def test_writers_and_readers_at_once_lose_and_double_nothing(pg_server) -> None:
    url = pg_server.url(pg_server.new_database("load"))
    result = run_load(url, writers=3, readers=2, seconds=3.0)
    assert result["saves"] > 0 and result["reads"] > 0
    assert result["errors"] == 0
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["on_server"] == result["saves"]
    assert result["resent"] > 0 and result["resent_doubled"] == 0


def test_text_search_is_answered_by_the_trigram_index(pg_url: str) -> None:
    from cxr_desktop.core.storage import ReadingQuery
    from cxr_desktop.core.storage.postgresql import PostgresHistory, sql

    with PostgresHistory(pg_url) as store:
        where, params = sql.where(ReadingQuery(text="Mensah"))

        def plan(cur):
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute(f"EXPLAIN SELECT r.id FROM readings r{where}", params)
            return "\n".join(row[0] for row in cur.fetchall())

        assert "readings_search_trgm" in store._read(plan)
