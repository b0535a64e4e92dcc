"""The index health page: figures from PostgreSQL and the index, parked entries retried, and a
rebuild started as a background job whose progress lives in PostgreSQL; one at a time."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from datetime import timedelta

from private_services import app_config, dedicated_database
from sqlalchemy import select, update

from app.catalogue.service import save_tool
from app.db import db
from app.factory import create_app
from app.index_sync import outbox
from app.index_sync import rebuild_jobs as index_jobs
from app.models import IndexJob, IndexOutbox
from app.models.base import utcnow


def _signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["uid"] = user.id
    return client


def _tool(**extra):
    data = {
        "title": "Outil suivi",
        "summary": "s",
        "risk_factors": ["famille"],
        "status": "published",
    }
    data.update(extra)
    return data


def _park(app, title):
    """A tool edited while Meilisearch is unreachable, its row parked after its attempts."""
    with app.app_context():
        tool = save_tool(db.session, _tool(title=title))
        db.session.commit()
        db.session.execute(
            update(IndexOutbox)
            .where(IndexOutbox.tool_id == tool.id)
            .values(
                parked=True,
                attempts=outbox.MAX_ATTEMPTS,
                last_error="Meilisearch injoignable : ConnectionError",
            )
        )
        db.session.commit()
        return tool.id, db.session.scalar(
            select(IndexOutbox.id).where(IndexOutbox.tool_id == tool.id)
        )


def _row(app, row_id):
    with app.app_context():
        return db.session.scalar(
            select(IndexOutbox)
            .where(IndexOutbox.id == row_id)
            .execution_options(populate_existing=True)
        )


def test_the_page_shows_the_database_against_the_index(app, make_tool, make_user, meili_client):
    make_tool(title="Publié un")
    make_tool(title="Publié deux")
    make_tool(title="Brouillon", status="draft")
    html = _signed_in(app, make_user("curator")).get("/gestion/index").get_data(as_text=True)
    assert "État de l'index de recherche" in html
    assert '<dd id="publies">2</dd>' in html and '<dd id="indexes">2</dd>' in html
    assert "autant de documents" in html and "Aucune entrée parquée" in html
    # the index drifts: the page says so
    meili_client.run("DELETE", f"/indexes/{app.config['MEILI_INDEX']}/documents")
    html = _signed_in(app, make_user("curator")).get("/gestion/index").get_data(as_text=True)
    assert '<dd id="indexes">0</dd>' in html and "L&#39;index diffère de la base" in html


def test_meilisearch_unreachable_is_said_not_a_500(app_factory, make_user):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.2)
    with down.app_context():
        save_tool(db.session, _tool(title="Pendant la panne"))
        db.session.commit()
    response = _signed_in(down, make_user("curator")).get("/gestion/index")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<dd id="indexes">indisponible</dd>' in html and "injoignable" in html
    # the edit waits in the queue: counted, with the age of the oldest
    assert '<dd id="en-attente">1 (la plus ancienne attend depuis' in html


def test_a_parked_entry_is_listed_with_its_error_and_retried(app_factory, make_user, meili_client):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.2)
    tool_id, row_id = _park(down, "Parquée puis réessayée")
    up = app_factory()
    curator = _signed_in(up, make_user("curator"))
    html = curator.get("/gestion/index").get_data(as_text=True)
    assert f'id="entree-{row_id}"' in html and "Parquée puis réessayée" in html
    assert "Meilisearch injoignable : ConnectionError" in html
    assert f'name="entree" value="{row_id}"' in html and 'name="csrf_token"' in html

    response = curator.post("/gestion/index/reessayer", data={"entree": str(row_id)})
    assert response.status_code == 303
    row = _row(up, row_id)
    assert not row.parked and row.done_at is not None
    doc = meili_client.request("GET", f"/indexes/{up.config['MEILI_INDEX']}/documents/{tool_id}")
    assert doc["title"] == "Parquée puis réessayée"
    html = curator.get("/gestion/index").get_data(as_text=True)
    assert "1 entrée(s) remise(s) en file ; 1 envoyée(s) à l&#39;index" in html
    assert f'id="entree-{row_id}"' not in html


def test_retry_all_and_a_retry_that_fails_again(app_factory, make_user):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.2)
    rows = [_park(down, f"Parquée {n}")[1] for n in range(2)]
    curator = _signed_in(down, make_user("curator"))
    # still down: back in the queue, not parked, the failure said in French
    response = curator.post("/gestion/index/reessayer", data={"entree": "toutes"})
    assert response.status_code == 303
    html = curator.get("/gestion/index").get_data(as_text=True)
    assert "2 entrée(s) remise(s) en file, mais le moteur de recherche refuse encore" in html
    assert all(not _row(down, r).parked and _row(down, r).attempts == 1 for r in rows)
    # nothing to retry, or a bad choice: a message, never an error page
    assert "Aucune entrée parquée à réessayer" in curator.post(
        "/gestion/index/reessayer", data={"entree": "toutes"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Choisissez l&#39;entrée à réessayer" in curator.post(
        "/gestion/index/reessayer", data={"entree": "n'importe"}, follow_redirects=True
    ).get_data(as_text=True)


def test_a_rebuild_job_records_who_when_and_its_progress(app, make_tool, make_user, meili_client):
    for n in range(3):
        make_tool(title=f"Outil {n}")
    curator_user = make_user("curator")
    curator = _signed_in(app, curator_user)
    response = curator.post("/gestion/index/reconstruction")
    assert response.status_code == 303 and response.headers["Location"].endswith("#reconstruction")
    with app.app_context():
        job = db.session.scalars(select(IndexJob).order_by(IndexJob.id.desc())).first()
        assert job.state == "succeeded" and job.done == job.total == 3
        assert job.started_by_id == curator_user.id and job.finished_at >= job.started_at
    html = curator.get("/gestion/index").get_data(as_text=True)
    assert "La reconstruction de l&#39;index a démarré" in html
    assert "Réussie" in html and f"par {curator_user.email}" in html and "3 sur 3" in html
    stats = meili_client.request("GET", f"/indexes/{app.config['MEILI_INDEX']}/stats")
    assert stats["numberOfDocuments"] == 3


def test_a_failed_rebuild_is_shown_with_its_error(app_factory, make_user):
    down = app_factory(MEILI_URL="http://127.0.0.1:9", MEILI_TIMEOUT=0.2)
    curator = _signed_in(down, make_user("curator"))
    assert curator.post("/gestion/index/reconstruction").status_code == 303
    html = curator.get("/gestion/index").get_data(as_text=True)
    assert "Échouée" in html and "Échec de la reconstruction : Meilisearch injoignable" in html
    assert "L&#39;index précédent reste en service" in html  # it failed before the swap


def test_one_rebuild_at_a_time_and_a_dead_one_does_not_block(app, make_user):
    curator = _signed_in(app, make_user("curator"))
    with app.app_context():
        # a rebuild running in another process, alive: its heartbeat is fresh
        db.session.add(
            IndexJob(
                kind="rebuild",
                state="running",
                started_by_label="autre.curateur@justice.test",
                host="autre-machine",
                pid=1,
                total=10,
                done=4,
            )
        )
        db.session.commit()
    response = curator.post("/gestion/index/reconstruction", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Une reconstruction de l&#39;index est déjà en cours" in html
    assert "autre.curateur@justice.test" in html and "4 document(s) sur 10" in html
    assert "Reconstruction en cours" in html and 'value="4"' in html
    # no button to start another meanwhile, and a refresh link that really reloads (a link to
    # the page's own URL and #anchor would only scroll)
    assert "Reconstruire l&#39;index</button>" not in html and "Une seule reconstruction" in html
    refresh = re.search(r'href="([^"]+)#reconstruction">Actualiser', html).group(1)
    assert "?vu=" in refresh and refresh != "/gestion/index"
    with app.app_context():
        # ... whose process then died: no heartbeat for longer than the limit
        db.session.execute(
            update(IndexJob)
            .where(IndexJob.state == "running")
            .values(heartbeat_at=utcnow() - timedelta(minutes=5))
        )
        db.session.commit()
    html = curator.get("/gestion/index").get_data(as_text=True)
    assert (
        "Reconstruction en cours" not in html and "processus qui menait la reconstruction" in html
    )
    assert "Interrompue" in html and "Dernier signe de vie" in html
    with app.app_context():  # the GET only showed it: nothing written
        assert db.session.scalars(select(IndexJob.state)).all() == ["running"]
    assert curator.post("/gestion/index/reconstruction").status_code == 303
    with app.app_context():
        jobs = db.session.scalars(select(IndexJob).order_by(IndexJob.id)).all()
        assert [job.state for job in jobs] == ["failed", "succeeded"]
        assert jobs[0].error == index_jobs.STALE_MESSAGE
        assert jobs[0].finished_at == jobs[0].heartbeat_at  # its last sign of life
    html = curator.get("/gestion/index").get_data(as_text=True)
    assert "Réussie" in html and "Interrompue" not in html


def _dead_job(app):
    """A job left running by a process on another machine that stopped beating long ago."""
    with app.app_context():
        job = IndexJob(
            kind="rebuild",
            state="running",
            started_by_label="x",
            host="autre-machine",
            pid=1,
            total=1,
            heartbeat_at=utcnow() - timedelta(minutes=5),
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def _state(app, job_id):
    with app.app_context():
        return db.session.scalar(
            select(IndexJob.state)
            .where(IndexJob.id == job_id)
            .execution_options(populate_existing=True)
        )


def test_a_stale_job_is_closed_by_a_post_or_the_status_command_never_by_a_get(app, make_user):
    curator = _signed_in(app, make_user("curator"))
    job_id = _dead_job(app)
    for _ in range(2):
        assert "Interrompue" in curator.get("/gestion/index").get_data(as_text=True)
    assert _state(app, job_id) == "running"
    # any POST of the page closes it (here a retry with nothing to retry)
    curator.post("/gestion/index/reessayer", data={"entree": "toutes"})
    assert _state(app, job_id) == "failed"

    job_id = _dead_job(app)
    output = app.test_cli_runner().invoke(args=["index", "status"]).output
    assert "Dernière reconstruction    : interrompue" in output
    assert _state(app, job_id) == "failed"


def test_a_job_of_this_process_whose_thread_is_gone_is_stale_at_once(ctx):
    db.session.add(
        IndexJob(
            kind="rebuild", state="running", host=socket.gethostname(), pid=os.getpid(), total=1
        )
    )
    db.session.commit()
    assert index_jobs.close_stale(db.session, timedelta(hours=1)) == 1


def test_a_job_of_a_dead_process_on_this_host_is_stale_at_once(ctx):
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    db.session.add(
        IndexJob(kind="rebuild", state="running", host=socket.gethostname(), pid=gone.pid, total=1)
    )
    alive = IndexJob(
        kind="other", state="running", host=socket.gethostname(), pid=os.getppid(), total=1
    )
    db.session.add(alive)
    db.session.commit()
    assert index_jobs.close_stale(db.session, timedelta(hours=1)) == 1
    db.session.refresh(alive)
    assert alive.state == "running"  # its process lives and beats: left alone


def test_romin_index_status_prints_the_same_figures(app, make_tool):
    make_tool(title="Compté")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["index", "rebuild"]).exit_code == 0
    with app.app_context():
        db.session.add(IndexOutbox(tool_id=123456, parked=True, attempts=12, last_error="refusé"))
        db.session.commit()
    output = runner.invoke(args=["index", "status"]).output
    assert (
        "Outils publiés (PostgreSQL) : 1" in output and "Documents dans l'index     : 1" in output
    )
    assert "Dernière reconstruction    : réussie" in output and "romin index rebuild" in output
    assert "1 parquée(s)" in output and "Outil n° 123456 (supprimé), 12 essai(s) — refusé" in output


def test_the_rebuild_runs_in_the_background_and_its_progress_is_seen(service_env, monkeypatch):
    """A real thread on a real database: the request answers at once, the page follows."""
    from app.index_sync import operations as index_admin
    from indexer.client import MeiliClient

    real_batches = index_admin.published_batches
    reached, release = threading.Event(), threading.Event()

    def slow_batches(session):
        for batch in real_batches(session, size=10):
            yield batch
            reached.set()
            release.wait(60)  # the test lets the rebuild go on once it has seen it running

    def wait_until(condition, what):
        """Polls the state until `condition()` holds; the deadline only bounds the wait."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"still waiting for: {what}")

    monkeypatch.setattr(index_admin, "published_batches", slow_batches)
    monkeypatch.setattr(index_jobs, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(index_jobs, "PROGRESS_WRITE_SECONDS", 0)
    with dedicated_database(service_env["DATABASE_URL"], "romin_h4_health") as url:
        uid = "test_bg_" + os.urandom(4).hex()
        app = create_app(
            app_config(url, service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY", ""), uid)
        )
        meili = MeiliClient(service_env["MEILI_URL"], service_env.get("MEILI_MASTER_KEY"))
        try:
            with app.app_context():
                from app.accounts.service import create_user
                from app.catalogue.risk_factors import ensure_risk_factors

                ensure_risk_factors(db.session)
                db.session.commit()
                for n in range(30):
                    save_tool(db.session, _tool(title=f"Outil {n}"))
                db.session.commit()
                user = create_user(db.session, "curatrice@justice.test", "curator", None)
                db.session.commit()
            curator = _signed_in(app, user)

            def running():
                with app.app_context():
                    return db.session.scalar(select(IndexJob).where(IndexJob.state == "running"))

            assert curator.post("/gestion/index/reconstruction").status_code == 303
            # answered while the job is still held (only this test releases it): no waiting
            job = running()
            assert job is not None and job.total == 30
            assert reached.wait(30), "the rebuild never sent its first batch"
            html = curator.get("/gestion/index").get_data(as_text=True)
            assert "Reconstruction en cours" in html and "sur 30" in html
            # a second click while it runs is refused in French
            again = curator.post("/gestion/index/reconstruction", follow_redirects=True).get_data(
                as_text=True
            )
            assert "déjà en cours" in again
            first_beat = running().heartbeat_at
            # alive: its heartbeat moves while it waits (polled, not timed)
            wait_until(lambda: running().heartbeat_at > first_beat, "a newer heartbeat")
            release.set()

            def finished():
                with app.app_context():
                    found = db.session.get(IndexJob, job.id)
                    return found if found.state != "running" else None

            job = wait_until(finished, "the end of the rebuild")
            assert job.state == "succeeded" and job.done == job.total == 30
            html = curator.get("/gestion/index").get_data(as_text=True)
            assert "Reconstruction en cours" not in html and "Réussie" in html
            assert '<dd id="indexes">30</dd>' in html
        finally:
            release.set()
            for thread in list(index_jobs._threads.values()):
                thread.join(30)
            app.extensions["romin_db"].engine.dispose()
            try:
                meili.request("DELETE", f"/indexes/{uid}")
            except Exception:
                pass
