"""`romin index settings|rebuild|status`: the search index."""

from __future__ import annotations

import gc
import logging
import os
import time
from pathlib import Path
from typing import cast

import click
from flask import Flask, current_app
from werkzeug.local import LocalProxy

from app.core.commands import commit, fail
from app.db import db
from app.index_sync import rebuild_jobs as index_jobs
from app.index_sync.client import index_uid, meili
from app.index_sync.documents import settings_for
from app.index_sync.operations import parked_entries, reconcile_index
from app.index_sync.outbox import purge_done, retry_parked
from app.index_sync.push import push_outbox
from app.index_sync.rebuild_jobs import age
from app.index_sync.rebuild_jobs import when as _when
from app.index_sync.status import index_status
from app.models import IndexJob
from indexer.client import MeiliError
from indexer.sync import ensure_index


def register(cli: click.Group) -> None:
    @cli.group("index", help="Index de recherche (Meilisearch).")
    def index_group() -> None:
        pass

    @index_group.command("settings", help="Pousse les réglages de l'index (code) vers Meilisearch.")
    def settings() -> None:
        try:
            ensure_index(meili(), index_uid(), settings_for(db.session))
        except MeiliError as exc:
            fail(f"Échec : {exc}")
        click.echo("Réglages appliqués.")

    @index_group.command("rebuild", help="Reconstruit l'index à neuf et le bascule d'un coup.")
    def rebuild() -> None:
        """Recorded as an index job like the back office's, so only one rebuild runs at a time
        and the health page shows it; here it runs in the foreground with a progress bar."""

        # The app and its libraries stay until the process ends: out of the collector's reach,
        # they are not traversed again while documents are built, nor at exit (which took
        # 0.4 s of a rebuild's time, measured, for objects freed by the exit anyway).
        gc.freeze()
        try:
            job_id = index_jobs.start_job(
                db.session,
                index_jobs.stale_after(current_app),
                label="commande « romin index rebuild »",
            )
        except index_jobs.JobAlreadyRunning as exc:
            db.session.rollback()
            running = exc.job
            fail(
                "Une reconstruction est déjà en cours"
                + (
                    f" (lancée par {running.started_by} le {index_jobs.when(running.started_at)})"
                    if running
                    else ""
                )
                + " : attendez qu'elle se termine."
            )
        total = db.session.get_one(IndexJob, job_id).total
        commit()
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()
        with click.progressbar(length=total, label="Indexation", show_pos=True) as bar:
            ok = index_jobs.execute(app, job_id, progress=bar.update)
        db.session.expire_all()
        job = db.session.get_one(IndexJob, job_id)
        if not ok:
            fail(job.error)
        click.echo(f"{job.done} outil(s) publiés indexés.")

    @index_group.command(
        "reconcile", help="Compare la base et l'index (identifiants, empreintes) et répare."
    )
    def reconcile() -> None:
        try:
            repair = reconcile_index(db.session)
        except MeiliError as exc:
            db.session.rollback()
            fail(f"Réconciliation impossible : {exc}")
        commit()
        click.echo(
            f"{len(repair.upserted)} document(s) renvoyé(s), {len(repair.deleted)} supprimé(s)."
        )
        for tool_id in repair.upserted:
            click.echo(f"  renvoyé : outil {tool_id}")
        for tool_id in repair.deleted:
            click.echo(f"  supprimé : outil {tool_id}")

    @index_group.command(
        "worker", help="Vide la file d'indexation (outbox) en continu, répare l'index."
    )
    @click.option("--interval", default=2.0, show_default=True, help="Secondes entre deux passes.")
    @click.option(
        "--reconcile-every",
        default=600.0,
        show_default=True,
        help="Secondes entre deux réconciliations complètes (filet de sécurité).",
    )
    @click.option("--once", is_flag=True, help="Une seule passe, puis s'arrête.")
    def worker(interval: float, reconcile_every: float, once: bool) -> None:
        log = logging.getLogger("romin.worker")
        heartbeat = Path(os.environ.get("WORKER_HEARTBEAT", "/tmp/romin-worker.heartbeat"))
        last_reconcile = 0.0
        while True:
            try:
                while True:  # drain every due row, batch after batch
                    result, _generation = push_outbox(db.session)
                    commit()
                    if not result.done:
                        break
                if time.monotonic() - last_reconcile >= reconcile_every:
                    repair = reconcile_index(db.session)
                    purge_done(db.session)  # done rows are kept a week, for the record
                    commit()
                    last_reconcile = time.monotonic()
                    if repair.changed:
                        log.info(
                            "index repaired: %d sent, %d deleted",
                            len(repair.upserted),
                            len(repair.deleted),
                        )
            except MeiliError as exc:
                db.session.rollback()
                log.error("index worker pass failed: %s", exc)
            except Exception:
                db.session.rollback()
                log.exception("index worker pass failed")
            finally:
                db.session.close()
            # liveness for the container health check: a pass ran, whatever its outcome
            heartbeat.touch()
            if once:
                return
            time.sleep(interval)

    @index_group.command("retry-parked", help="Remet en file les entrées d'indexation parquées.")
    def retry_parked_command() -> None:
        count = retry_parked(db.session)
        commit()
        click.echo(f"{count} entrée(s) remise(s) en file.")

    @index_group.command("status", help="Compare la base et l'index.")
    def status() -> None:
        if index_jobs.close_stale(db.session, index_jobs.stale_after(current_app)):
            commit()
        state = index_status(db.session)
        click.echo(f"Outils publiés (PostgreSQL) : {state['published']}")
        if state["indexed"] is None:
            click.echo(f"Documents dans l'index     : indisponible ({state['index_error']})")
        else:
            click.echo(f"Documents dans l'index     : {state['indexed']}")
        running, last = state["running_job"], state["last_job"]
        if running:
            click.echo(
                f"Reconstruction en cours    : {running.done}/{running.total} documents, "
                f"lancée le {_when(running.started_at)} par {running.started_by}"
            )
        if last:
            click.echo(
                f"Dernière reconstruction    : {last.state_label}, le {_when(last.started_at)} "
                f"par {last.started_by}, {last.done}/{last.total} documents"
                + (f" — {last.error}" if last.error else "")
            )
        else:
            click.echo(
                f"Dernière reconstruction    : {_when(state['last_rebuild_at']) or 'jamais'}"
            )
        click.echo(f"Dernière synchronisation   : {_when(state['last_sync_at']) or 'jamais'}")
        click.echo(
            f"File d'indexation          : {state['pending']} en attente"
            + (
                f" (la plus ancienne attend depuis {age(state['oldest_pending_at'])})"
                if state["pending"]
                else ""
            )
            + f", {state['parked']} parquée(s)"
        )
        for entry in parked_entries(db.session, limit=10):
            click.echo(
                f"  parquée n° {entry.id} : {entry.what}, {entry.attempts} essai(s) — {entry.error}"
            )
        if state["parked"] > 10:
            click.echo(f"  … et {state['parked'] - 10} autre(s) (page « État de l'index »)")
        if state["last_error"]:
            click.echo(
                f"Dernière erreur            : {_when(state['last_error_at'])} {state['last_error']}"
            )
        if state["indexed"] != state["published"]:
            click.secho("L'index diffère de la base : lancez `romin index reconcile`.", fg="yellow")
            raise SystemExit(2)
