"""Faults, for real: Meilisearch SIGKILLed in the middle of a sync of hundreds of edits and
restarted; rolled-back edits; duplicate and out-of-order outbox rows drained by two workers at
once; a rebuild running while curators edit; Meilisearch and PostgreSQL down, then back, under
the same running app.

These tests commit for real, so each one gets a database of its own (created, migrated and
dropped here) and, when it kills a service, a Meilisearch or a PostgreSQL of its own. The
shared dev services are never stopped.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest
from private_services import PrivateMeili, PrivatePostgres, app_config, dedicated_database, migrate
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.catalogue.risk_factors import ensure_risk_factors
from app.catalogue.service import save_tool
from app.db import db
from app.factory import create_app
from app.index_sync.documents import published_batches
from app.index_sync.outbox import pending_summary
from app.index_sync.push import push_outbox
from app.models import IndexOutbox, Tool
from indexer.client import MeiliClient, MeiliError, MeiliUnavailable
from indexer.reconcile import indexed_hashes

FACTORS = ["addictions", "emploi", "famille", "loisirs"]


@pytest.fixture
def database(service_env):
    with dedicated_database(service_env["DATABASE_URL"], "romin_h4_faults") as url:
        yield url


@pytest.fixture
def meili(tmp_path):
    server = PrivateMeili(tmp_path / "meili")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_app(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKER_HEARTBEAT", str(tmp_path / "worker.heartbeat"))
    apps = []

    def make(database_url, meili_url, meili_key, **overrides):
        app = create_app(
            app_config(
                database_url, meili_url, meili_key, f"faults_{uuid.uuid4().hex[:8]}", **overrides
            )
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        listener = app.extensions.get("romin_generation")
        if listener is not None:
            listener.stop()
        app.extensions["romin_db"].engine.dispose()


def _tool_data(n: int, **extra) -> dict:
    data = {
        "title": f"Outil {n}",
        "summary": f"Résumé de l'outil {n}.",
        "risk_factors": [FACTORS[n % len(FACTORS)]],
        "status": "published",
        "kind": "outil",
        "stages": ["contemplation"],
        "modality": "individuelle",
        "sessions": "1",
        "setting": ["ouvert"],
        "evidence_level": n % 5,
    }
    data.update(extra)
    return data


def _seed(app, count: int) -> list[int]:
    with app.app_context():
        ensure_risk_factors(db.session)
        db.session.commit()
        ids = []
        for start in range(0, count, 100):
            tools = [
                save_tool(db.session, _tool_data(n)) for n in range(start, min(count, start + 100))
            ]
            db.session.commit()
            ids += [t.id for t in tools]
        return ids


def _expected(app) -> dict[int, str]:
    """What the index must hold: every published tool's id and content hash, built now."""
    with app.app_context():
        return {
            doc["id"]: doc["content_hash"]
            for batch in published_batches(db.session)
            for doc in batch
        }


def _indexed(app, client: MeiliClient) -> dict[int, str]:
    return indexed_hashes(client, app.config["MEILI_INDEX"])


def _queue(app) -> dict:
    with app.app_context():
        return pending_summary(db.session)


def _drain_with_the_worker(app, deadline_seconds: float = 120) -> int:
    """`romin index worker --once` until the queue is empty (retries wait for their backoff)."""
    runner = app.test_cli_runner()
    deadline = time.monotonic() + deadline_seconds
    passes = 0
    while time.monotonic() < deadline:
        result = runner.invoke(args=["index", "worker", "--once", "--reconcile-every", "1e12"])
        assert result.exit_code == 0, result.output
        passes += 1
        queue = _queue(app)
        if queue["pending"] == 0 and queue["parked"] == 0:
            return passes
        time.sleep(0.5)
    raise AssertionError(f"the outbox did not drain: {_queue(app)}")


def _edit(session, tool: Tool, version: int, rng: random.Random) -> None:
    """One curator edit: a new title and summary, sometimes archived or published again."""
    tool.title = f"Outil {tool.id} version {version}"
    tool.summary = f"Résumé révisé {version} de l'outil {tool.id}."
    roll = rng.random()
    if roll < 0.08:
        tool.status = "archived"
    elif roll < 0.16:
        tool.status = "published"


def test_meilisearch_killed_mid_sync_then_restarted_ends_equal_to_postgresql(
    database, meili, make_app
):
    app = make_app(database, meili.url, meili.key)
    ids = _seed(app, 300)
    client = MeiliClient(meili.url, meili.key)
    assert _indexed(app, client) == _expected(app)

    rng = random.Random(20261127)
    commits, per_commit = 10, 30  # 300 edits
    committed = threading.Event()
    progress = {"commits": 0, "errors": []}

    def curators():
        try:
            with app.app_context():
                for version in range(1, commits + 1):
                    for tool_id in rng.sample(ids, per_commit):
                        _edit(db.session, db.session.get(Tool, tool_id), version, rng)
                    db.session.commit()  # pushes its own rows after commit, as a request does
                    progress["commits"] += 1
                    committed.set()
        except Exception as exc:  # surfaced by the assertion below
            progress["errors"].append(repr(exc))

    stop_worker = threading.Event()

    def worker():
        """The worker's loop (romin index worker) running beside the edits."""
        with app.app_context():
            while not stop_worker.is_set():
                try:
                    push_outbox(db.session)
                    db.session.commit()
                except MeiliError:
                    db.session.rollback()
                except Exception as exc:
                    progress["errors"].append(repr(exc))
                    db.session.rollback()
                finally:
                    db.session.close()
                time.sleep(0.05)

    editing = threading.Thread(target=curators)
    draining = threading.Thread(target=worker)
    editing.start()
    draining.start()
    # in the middle of the sync: some edits pushed, most still to come
    while progress["commits"] < 3 and editing.is_alive():
        committed.wait(1)
    meili.kill()
    with app.app_context():
        done_at_kill = db.session.scalar(
            select(func.count()).select_from(IndexOutbox).where(IndexOutbox.done_at.is_not(None))
        )
    editing.join(120)
    stop_worker.set()
    draining.join(30)
    assert not progress["errors"], progress["errors"]
    assert progress["commits"] == commits
    # edits written while Meilisearch was dead wait in the queue, none lost, none done
    with app.app_context():
        edit_rows = db.session.scalar(select(func.count()).select_from(IndexOutbox))
    assert done_at_kill < edit_rows
    assert _queue(app)["pending"] > 0

    meili.start()  # same data directory, same port: the app is not told anything
    _drain_with_the_worker(app)
    expected = _expected(app)
    assert len(expected) > 250
    assert _indexed(app, client) == expected  # same ids, same content hashes
    # and a reconcile finds nothing left to repair
    result = app.test_cli_runner().invoke(args=["index", "reconcile"])
    assert result.exit_code == 0 and "0 document(s) renvoyé(s), 0 supprimé(s)" in result.output


def test_a_rolled_back_edit_never_reaches_the_index_even_with_a_worker_running(
    database, make_app, service_env
):
    app = make_app(database, service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY", ""))
    client = MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))
    try:
        ids = _seed(app, 5)
        with app.app_context():
            # rolled back by the code, after a flush (the outbox hooks saw the change)
            tool = db.session.get(Tool, ids[0])
            tool.title = "Jamais validé (annulé)"
            db.session.flush()
            db.session.rollback()
            # rolled back by the database: a constraint fails at commit, after the title changed
            tool = db.session.get(Tool, ids[1])
            tool.title = "Jamais validé (refusé par la base)"
            tool.evidence_level = 9
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
            # a later, valid edit of another tool commits normally
            db.session.get(Tool, ids[2]).title = "Validé"
            db.session.commit()
            rows = db.session.scalars(
                select(IndexOutbox.tool_id).where(IndexOutbox.tool_id.in_(ids[:3]))
            ).all()
        assert rows.count(ids[0]) == 1 and rows.count(ids[1]) == 1  # their creation only
        _drain_with_the_worker(app)
        uid = app.config["MEILI_INDEX"]
        titles = {
            i: client.request("GET", f"/indexes/{uid}/documents/{i}")["title"] for i in ids[:3]
        }
        assert titles == {ids[0]: "Outil 0", ids[1]: "Outil 1", ids[2]: "Validé"}
        assert _indexed(app, client) == _expected(app)
    finally:
        client.request("DELETE", f"/indexes/{app.config['MEILI_INDEX']}")


def test_duplicate_and_out_of_order_rows_converge_with_two_workers(database, make_app, service_env):
    app = make_app(database, service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY", ""))
    client = MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))
    try:
        ids = _seed(app, 120)
        rng = random.Random(7)
        with app.app_context():
            # three versions of each tool, committed without pushing: every row stays queued
            db.session.info["romin_sync"] = False
            for version in range(1, 4):
                for tool_id in ids:
                    _edit(db.session, db.session.get(Tool, tool_id), version, rng)
                db.session.commit()
            # duplicates of old rows, added in shuffled order (a replay, a restored backup...)
            replay = [IndexOutbox(tool_id=i) for i in ids * 2]
            rng.shuffle(replay)
            db.session.add_all(replay)
            db.session.commit()
            assert pending_summary(db.session)["pending"] >= len(ids) * 5
        # two workers at once, claiming with SKIP LOCKED, in small batches so they interleave
        from app.index_sync import outbox

        errors = []

        def worker():
            try:
                with app.app_context():
                    while True:
                        rows = outbox.claim(db.session, limit=25)
                        db.session.rollback()
                        if not rows:
                            return
                        push_outbox(db.session, [r.id for r in rows])
                        db.session.commit()
                        db.session.close()
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        _drain_with_the_worker(app)  # whatever the two left (nothing, normally)
        assert _indexed(app, client) == _expected(app)
    finally:
        client.request("DELETE", f"/indexes/{app.config['MEILI_INDEX']}")


def test_a_rebuild_running_while_curators_edit_loses_no_edit(database, make_app, service_env):
    """The back office's background rebuild, with edits committed all along."""
    from app.index_sync import rebuild_jobs as index_jobs

    app = make_app(database, service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY", ""))
    client = MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))
    try:
        ids = _seed(app, 600)
        with app.app_context():
            job_id = index_jobs.start_job(db.session, index_jobs.stale_after(app), label="test")
            db.session.commit()
        rng = random.Random(3)
        index_jobs.launch(app, job_id)
        edits = 0
        with app.app_context():
            from app.models import IndexJob

            version = 0
            while True:
                version += 1
                for tool_id in rng.sample(ids, 10):
                    _edit(db.session, db.session.get(Tool, tool_id), version, rng)
                db.session.commit()
                edits += 10
                job = db.session.scalar(
                    select(IndexJob)
                    .where(IndexJob.id == job_id)
                    .execution_options(populate_existing=True)
                )
                if job.state != "running":
                    break
                db.session.rollback()
            assert job.state == "succeeded", job.error
        assert edits >= 20  # edits did happen while it ran
        _drain_with_the_worker(app)
        assert _indexed(app, client) == _expected(app)
    finally:
        for thread in list(index_jobs._threads.values()):
            thread.join(60)
        client.request("DELETE", f"/indexes/{app.config['MEILI_INDEX']}")


def test_a_rebuild_failing_after_the_swap_loses_no_edit(
    database, make_app, service_env, monkeypatch
):
    """An edit lands on the old index while the rebuild runs; after the swap, Meilisearch goes
    away (the old index's deletion fails, so does the push after commit). The edit is queued
    again, not lost: the worker brings it to the new live index. The job says what happened."""
    from app.index_sync import operations as index_admin
    from app.index_sync import rebuild_jobs as index_jobs
    from app.models import IndexJob

    app = make_app(database, service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY", ""))
    uid = app.config["MEILI_INDEX"]
    client = MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))
    broken = threading.Event()
    real_request = MeiliClient.request

    def request(self, method, path, json=None, timeout=None):
        if broken.is_set() and (
            (method == "DELETE" and path.startswith(f"/indexes/{uid}__build_"))
            or (method in ("POST", "PUT") and path.startswith(f"/indexes/{uid}/documents"))
        ):
            raise MeiliUnavailable("Meilisearch injoignable : panne simulée")
        return real_request(self, method, path, json=json, timeout=timeout)

    real_batches = index_admin.published_batches
    edited = {}

    def batches_then_an_edit(session):
        yield from real_batches(session)
        # a curator commits once every tool was read: pushed at once, to the index live then
        with app.extensions["romin_db"].session_factory() as other:
            tool = other.get(Tool, ids[0])
            tool.title = "Modifié pendant la reconstruction"
            other.commit()
            edited["row"] = other.scalar(
                select(IndexOutbox)
                .where(IndexOutbox.tool_id == ids[0])
                .order_by(IndexOutbox.id.desc())
                .limit(1)
            )
        broken.set()

    try:
        ids = _seed(app, 20)
        monkeypatch.setattr(MeiliClient, "request", request)
        monkeypatch.setattr(index_admin, "published_batches", batches_then_an_edit)
        with app.app_context():
            job_id = index_jobs.start_job(db.session, index_jobs.stale_after(app), label="test")
            db.session.commit()
        assert index_jobs.execute(app, job_id) is False
        assert edited["row"].done_at is not None  # the edit went to the old index, done
        with app.app_context():
            job = db.session.get(IndexJob, job_id)
            assert job.state == "failed"
            assert job.error.startswith("Échec après la bascule : Meilisearch injoignable")
            assert "Le nouvel index est en service" in job.error
            assert "remises en file d'indexation" in job.error
            assert "précédent reste en service" not in job.error
            queued = db.session.scalars(
                select(IndexOutbox.tool_id).where(
                    IndexOutbox.done_at.is_(None), IndexOutbox.id > edited["row"].id
                )
            ).all()
        assert ids[0] in queued  # queued again after the swap, still pending
        broken.clear()
        # the new live index was built before the edit: it misses it until the queue drains
        assert client.request("GET", f"/indexes/{uid}/documents/{ids[0]}")["title"] == "Outil 0"
        _drain_with_the_worker(app)
        assert (
            client.request("GET", f"/indexes/{uid}/documents/{ids[0]}")["title"]
            == "Modifié pendant la reconstruction"
        )
        assert _indexed(app, client) == _expected(app)
    finally:
        broken.clear()
        for index in client.request("GET", "/indexes?limit=1000")["results"]:
            if index["uid"] == uid or index["uid"].startswith(f"{uid}__build_"):
                client.request("DELETE", f"/indexes/{index['uid']}")


# -- point 11: down, then back, under the same running app ------------------------------------


def _agent_token(app) -> dict:
    from app.accounts.auth import create_token
    from app.accounts.service import create_user

    with app.app_context():
        user = create_user(db.session, f"agent-{uuid.uuid4().hex[:6]}@justice.test", "agent", None)
        raw = create_token(user)
        db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_meilisearch_down_then_back_resumes_without_restarting_the_app(database, meili, make_app):
    app = make_app(database, meili.url, meili.key, MEILI_TIMEOUT=0.5)
    ids = _seed(app, 12)
    client, headers = app.test_client(), _agent_token(app)

    def api():
        response = client.get("/api/v1/search?risk_factor=addictions", headers=headers)
        assert response.status_code == 200
        return response.get_json()

    normal = api()
    assert normal["degraded"] is False and normal["total"] == 3
    page = client.get("/recherche?facteur=addictions").get_data(as_text=True)
    assert "Service dégradé" not in page

    meili.kill()
    # a curator edits while it is down: the edit is kept, queued
    with app.app_context():
        tool = db.session.get(Tool, ids[0])
        tool.title = "Modifié pendant la panne"
        db.session.commit()
    degraded = api()
    assert degraded["degraded"] is True and degraded["total"] == 3
    assert [h["slug"] for h in degraded["hits"]] == [h["slug"] for h in normal["hits"]]
    assert "Modifié pendant la panne" in [h["title"] for h in degraded["hits"]]
    page = client.get("/recherche?facteur=addictions")
    assert page.status_code == 200 and "Service dégradé" in page.get_data(as_text=True)
    assert _queue(app)["pending"] >= 1

    meili.start()  # the same app object, nothing restarted or reconfigured
    back = api()
    assert back["degraded"] is False and back["total"] == 3
    assert "Service dégradé" not in client.get("/recherche?facteur=addictions").get_data(
        as_text=True
    )
    _drain_with_the_worker(app)
    titles = [h["title"] for h in api()["hits"]]
    assert "Modifié pendant la panne" in titles and api()["degraded"] is False


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    server.start()
    server.create_database()
    yield server
    server.destroy()


def test_postgresql_down_is_a_french_503_then_service_resumes_by_itself(
    private_postgres, make_app, service_env
):
    migrate(private_postgres.url)
    app = make_app(
        private_postgres.url,
        service_env["MEILI_URL"],
        service_env.get("MEILI_MASTER_KEY", ""),
        SEARCH_GENERATION_LISTENER=True,
    )
    meili_client = MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))
    try:
        _seed(app, 6)
        headers = _agent_token(app)
        client = app.test_client()
        pages = ("/recherche?facteur=addictions", "/")
        for path in pages:
            assert client.get(path).status_code == 200
        assert (
            client.get("/api/v1/search?risk_factor=addictions", headers=headers).status_code == 200
        )

        private_postgres.stop("immediate")
        for path in pages:
            response = client.get(path)
            html = response.get_data(as_text=True)
            assert response.status_code == 503, path
            assert "Service momentanément indisponible" in html and "réessayez" in html
            assert "Traceback" not in html and "psycopg" not in html
        api = client.get("/api/v1/search?risk_factor=addictions", headers=headers)
        assert api.status_code == 503 and api.is_json and api.get_json()["code"] == 503
        assert client.get("/healthz").status_code == 503

        private_postgres.start()  # the same app object: no restart, no reconnect by hand
        answers = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            answers.append(client.get("/recherche?facteur=addictions").status_code)
            if answers[-1] == 200:
                break
            time.sleep(0.2)
        assert answers[-1] == 200 and set(answers) <= {200, 503}, answers
        assert len(answers) <= 3, answers  # at most a dead pooled connection or two, then back
        for path in pages:
            assert client.get(path).status_code == 200
        api = client.get("/api/v1/search?risk_factor=addictions", headers=headers)
        assert api.status_code == 200 and api.get_json()["total"] >= 1
        assert client.get("/healthz").status_code == 200
    finally:
        try:
            meili_client.request("DELETE", f"/indexes/{app.config['MEILI_INDEX']}")
        except Exception:
            pass
