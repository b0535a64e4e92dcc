"""The index's health for curators: PostgreSQL against the index, the outbox queue, parked
entries to retry, and a rebuild started as a background job whose progress the page shows."""

from __future__ import annotations

from typing import cast

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from app.accounts.auth import current_user, role_required
from app.db import after_commit, db
from app.index_sync import rebuild_jobs as index_jobs
from app.index_sync.operations import parked_entries, retry_parked_entries
from app.index_sync.outbox import BATCH
from app.index_sync.push import sync_after_commit
from app.index_sync.rebuild_jobs import age, when
from app.index_sync.status import index_status
from app.models.base import utcnow

bp = Blueprint("index_sync", __name__, url_prefix="/gestion/index")
PARKED_SHOWN = 100


@bp.get("")
@role_required("curator")
def health_page() -> str:
    # a GET writes nothing: a job left "running" by a dead process is only shown as interrupted
    # here; starting a rebuild, a retry (POSTs) or `romin index status` close it for the record
    status = index_status(db.session)
    return render_template(
        "index_sync/index_health.html",
        status=status,
        parked=parked_entries(db.session, PARKED_SHOWN),
        parked_shown=PARKED_SHOWN,
        when=when,
        age=age,
        # a new URL each time: a link to the page itself (with its #anchor)
        # would only scroll, never reload
        refreshed=int(utcnow().timestamp() * 1000),
    )


@bp.post("/reconstruction")
@role_required("curator")
def start_rebuild() -> Response:
    """Records the job, commits, starts its thread and answers at once."""
    try:
        job_id = index_jobs.start_job(
            db.session, index_jobs.stale_after(current_app), user=current_user()
        )
    except index_jobs.JobAlreadyRunning as exc:
        db.rollback()
        running = exc.job
        detail = (
            (
                f" (lancée par {running.started_by} le {when(running.started_at)}, "
                f"{running.done} document(s) sur {running.total})"
            )
            if running
            else ""
        )
        flash(
            f"Une reconstruction de l'index est déjà en cours{detail} : attendez qu'elle se "
            "termine avant d'en lancer une autre.",
            "warning",
        )
        return redirect(url_for("index_sync.health_page") + "#reconstruction", code=303)
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    after_commit(lambda _response: index_jobs.launch(app, job_id))  # the job reads its row
    flash(
        "La reconstruction de l'index a démarré. L'index en service reste utilisé jusqu'à la "
        "fin ; actualisez la page pour suivre son avancement.",
        "info",
    )
    return redirect(url_for("index_sync.health_page") + "#reconstruction", code=303)


@bp.post("/reessayer")
@role_required("curator")
def retry() -> Response:
    """Puts one parked entry (`entree` = its number) or all of them (`entree` = toutes) back in
    the queue, then pushes them at once (up to one batch; the worker takes the rest)."""
    choice = request.form.get("entree", "").strip()
    wanted: list[int] | None
    if choice == "toutes":
        wanted = None
    elif choice.isdigit():
        wanted = [int(choice)]
    else:
        flash("Choisissez l'entrée à réessayer.", "error")
        return redirect(url_for("index_sync.health_page") + "#parquees", code=303)
    index_jobs.close_stale(db.session, index_jobs.stale_after(current_app))
    ids = retry_parked_entries(db.session, wanted)
    if not ids:
        flash("Aucune entrée parquée à réessayer : elle a peut-être déjà été traitée.", "info")
        return redirect(url_for("index_sync.health_page") + "#parquees", code=303)
    after_commit(lambda _response: _push_retried(ids))
    return redirect(url_for("index_sync.health_page") + "#parquees", code=303)


def _push_retried(ids: list[int]) -> None:
    """Once the rows are back in the queue (committed): push a batch of them now, and say so."""
    sync_after_commit(ids[:BATCH])
    later = len(ids) - min(len(ids), BATCH)
    if getattr(g, "index_error", None):
        flash(
            f"{len(ids)} entrée(s) remise(s) en file, mais le moteur de recherche refuse encore "
            f"l'envoi ({g.index_error}). De nouveaux essais suivront automatiquement.",
            "warning",
        )
    else:
        flash(
            f"{len(ids)} entrée(s) remise(s) en file ; {len(ids) - later} envoyée(s) à l'index."
            + (
                f" Les {later} autres seront envoyées par le processus d'indexation."
                if later
                else ""
            ),
            "success",
        )
