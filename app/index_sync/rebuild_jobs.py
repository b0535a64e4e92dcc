"""Index rebuilds as jobs: started from the back office (in a thread of the web process, so the
app needs no worker) or from `romin index rebuild`, with their progress stored in PostgreSQL.

One rebuild at a time, whatever the number of processes: a partial unique index allows a single
running job. A job whose process died stays "running" in the table; it is recognised as stale
(no heartbeat for a while, or its thread is gone from this very process) and closed as failed
when a rebuild starts, by `romin index status` and by the health page's POSTs, so it never
blocks the next rebuild; the page's GET only shows it as interrupted (a GET writes nothing).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import Flask
from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.core.dates import fr_datetime
from app.index_sync.client import index_uid, meili
from app.index_sync.documents import published_count
from app.index_sync.operations import rebuild_index
from app.models import IndexJob, User
from indexer.client import MeiliError

log = logging.getLogger(__name__)

REBUILD = "rebuild"
HEARTBEAT_SECONDS = 5.0
PROGRESS_WRITE_SECONDS = 0.5  # progress is written at most this often
# Whether it died before or after the swap is not recorded: the message says both.
STALE_MESSAGE = (
    "Interrompue : le processus qui menait la reconstruction s'est arrêté sans en "
    "enregistrer la fin. Arrêté avant la bascule, il a laissé l'index en service tel "
    "qu'il était ; arrêté après, le nouvel index est en service mais peut manquer des "
    "modifications faites pendant la reconstruction : lancez « romin index "
    "reconcile » (le processus d'indexation les répare aussi à sa prochaine "
    "réconciliation)."
)

# job id -> thread, for the jobs this process runs (a thread gone means the job is dead)
_threads: dict[int, threading.Thread] = {}


class JobAlreadyRunning(Exception):
    """A second rebuild was asked for while one runs."""

    def __init__(self, job: JobView | None):
        super().__init__("Une reconstruction de l'index est déjà en cours.")
        self.job = job


@dataclass
class JobView:
    """What the health page and `romin index status` show of a job."""

    id: int
    state: str
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    done: int
    total: int
    error: str
    heartbeat_at: datetime | None = None

    @property
    def percent(self) -> int:
        if self.state == "succeeded":
            return 100
        return min(100, int(self.done * 100 / self.total)) if self.total else 0

    @property
    def interrupted(self) -> bool:
        """Failed because its process died (closed by close_stale, or about to be)."""
        return self.state == "failed" and self.error == STALE_MESSAGE

    @property
    def state_label(self) -> str:
        if self.interrupted:
            return "interrompue"
        return {"running": "en cours", "succeeded": "réussie", "failed": "échouée"}[self.state]


def _view(job: IndexJob | None) -> JobView | None:
    if job is None:
        return None
    return JobView(
        id=job.id,
        state=job.state,
        started_at=job.started_at,
        finished_at=job.finished_at,
        started_by=job.started_by_label or "inconnu",
        done=job.done,
        total=job.total,
        error=job.error,
        heartbeat_at=job.heartbeat_at,
    )


def when(moment: datetime | None) -> str:
    """Paris time with seconds, for the health page and `romin index status`."""
    return fr_datetime(moment, seconds=True)


def age(moment: datetime | None) -> str:
    """ "40 s", "3 min", "2 h 5 min": how long an entry has been waiting."""
    if moment is None:
        return ""
    seconds = max(0, int((datetime.now(UTC) - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} jours"


def _here() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def stale_after(app: Flask) -> timedelta:
    return timedelta(seconds=float(app.config.get("INDEX_JOB_STALE_SECONDS", 60)))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(session: Session, stale: timedelta) -> ColumnElement[bool]:
    """The condition naming running jobs left by a dead process: no heartbeat for `stale`, or,
    on this host, run by a process that no longer exists or by this one in a thread that ended."""
    host, pid = _here()
    for job_id, thread in list(_threads.items()):
        if not thread.is_alive():
            _threads.pop(job_id, None)
    dead = [
        job_id
        for job_id, job_pid in session.execute(
            select(IndexJob.id, IndexJob.pid).where(
                IndexJob.state == "running", IndexJob.host == host
            )
        )
        if (job_id not in _threads if job_pid == pid else not _pid_alive(job_pid))
    ]
    return (IndexJob.state == "running") & or_(
        IndexJob.heartbeat_at < func.clock_timestamp() - stale, IndexJob.id.in_(dead)
    )


def close_stale(session: Session, stale: timedelta) -> int:
    """Close the running jobs left by a dead process as failed; their end is their last sign of
    life. Flushes. Called where a job may start and by POSTs, never by a page's GET."""
    result = cast(
        CursorResult[Any],  # an UPDATE's result (Session.execute is typed for any statement)
        session.execute(
            update(IndexJob)
            .where(_stale(session, stale))
            .values(state="failed", finished_at=IndexJob.heartbeat_at, error=STALE_MESSAGE)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount


def running_job(session: Session, kind: str = REBUILD) -> JobView | None:
    return _view(
        session.scalar(
            select(IndexJob)
            .where(IndexJob.kind == kind, IndexJob.state == "running")
            .execution_options(populate_existing=True)
        )
    )


def latest_job(session: Session, kind: str = REBUILD, finished: bool = False) -> JobView | None:
    query = select(IndexJob).where(IndexJob.kind == kind)
    if finished:
        query = query.where(IndexJob.state != "running")
    return _view(
        session.scalar(
            query.order_by(IndexJob.id.desc()).limit(1).execution_options(populate_existing=True)
        )
    )


def jobs_for_display(
    session: Session, stale: timedelta, kind: str = REBUILD
) -> tuple[JobView | None, JobView | None]:
    """(the running job, the last finished one), reading only: a running job left by a dead
    process is shown as the last one, interrupted, as close_stale will record it."""
    running = running_job(session, kind)
    if running is None:
        return None, latest_job(session, kind, finished=True)
    if session.scalar(select(IndexJob.id).where(IndexJob.id == running.id, _stale(session, stale))):
        return None, replace(
            running, state="failed", finished_at=running.heartbeat_at, error=STALE_MESSAGE
        )
    return running, latest_job(session, kind, finished=True)


def start_job(
    session: Session,
    stale: timedelta,
    user: User | None = None,
    label: str = "",
    kind: str = REBUILD,
) -> int:
    """Record a new running job and return its id; raise JobAlreadyRunning if one runs.

    Flushes; the caller commits before the job starts (its thread reads the row)."""
    close_stale(session, stale)
    host, pid = _here()
    job = IndexJob(
        kind=kind,
        state="running",
        started_by=user,
        started_by_label=label or (user.display_name or user.email if user else ""),
        host=host,
        pid=pid,
        total=published_count(session),
        done=0,
        error="",
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        raise JobAlreadyRunning(running_job(session, kind)) from None
    return job.id


class _Recorder:
    """Writes a job's progress and heartbeat in short transactions of their own, so they are
    seen by every process while the rebuild's own transaction is still open."""

    def __init__(self, factory: sessionmaker[Session], job_id: int):
        self.factory, self.job_id = factory, job_id
        self.done = 0
        self._lock = threading.Lock()
        self._written_at = 0.0

    def _write(self, **values: object) -> None:
        with self._lock, self.factory() as session:
            session.info["romin_sync"] = False
            session.execute(
                update(IndexJob)
                .where(IndexJob.id == self.job_id)
                .values(heartbeat_at=func.clock_timestamp(), **values)
            )
            session.commit()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._written_at >= PROGRESS_WRITE_SECONDS:
            self._written_at = now
            self._write(done=self.done)

    def heartbeat(self) -> None:
        self._write()

    def finish(self, state: str, error: str = "", done: int | None = None) -> None:
        self._write(
            state=state,
            error=error[:2000],
            finished_at=func.clock_timestamp(),
            done=self.done if done is None else done,
        )


def _drop_leftover_builds(uid: str) -> None:
    """Indexes half-built by a rebuild whose process died: no rebuild runs but this one."""
    client = meili()
    answer = client.request("GET", "/indexes?limit=1000")
    for index in answer.get("results", []):
        if index["uid"].startswith(f"{uid}__build_"):
            client.request("DELETE", f"/indexes/{index['uid']}")


def execute(
    app: Flask,
    job_id: int,
    progress: Callable[[int], None] = lambda n: None,
    heartbeat: bool | None = None,
) -> bool:
    """Run a recorded rebuild job to its end in the calling thread; True if it succeeded.

    The rebuild reads and writes in a session of its own; progress goes through the recorder.
    A failure leaves the live index as it was (rebuild by swap) and is stored with the job."""
    factory = app.extensions["romin_db"].session_factory
    if heartbeat is None:  # no second thread on a connection the tests share
        heartbeat = not app.config.get("INDEX_JOB_WAIT")
    recorder = _Recorder(factory, job_id)
    stop = threading.Event()
    beat: threading.Thread | None = None
    if heartbeat:

        def beat_loop() -> None:
            while not stop.wait(HEARTBEAT_SECONDS):
                try:
                    recorder.heartbeat()
                except Exception:  # the database may be briefly away: the next beat retries
                    log.warning("index job %s: heartbeat not written", job_id)

        beat = threading.Thread(target=beat_loop, name=f"index-job-{job_id}-heartbeat", daemon=True)
        beat.start()

    def advance(count: int) -> None:
        recorder.advance(count)
        progress(count)

    try:
        with app.app_context():
            with factory() as work:
                rebuilt = False
                try:
                    _drop_leftover_builds(index_uid())
                    count = rebuild_index(work, progress=advance)
                    rebuilt = True  # a failure from here on (the commit) comes after the swap
                    work.commit()
                except Exception as exc:
                    swapped = True if rebuilt else getattr(exc, "swapped", False)
                    kept = _keep_replay(work, job_id, swapped, committing=rebuilt)
                    if isinstance(exc, MeiliError):
                        log.error("index job %s failed: %s", job_id, exc)
                        detail = str(exc)
                    else:
                        log.exception("index job %s failed", job_id)
                        detail = f"erreur inattendue ({type(exc).__name__})"
                    recorder.finish("failed", failure_message(detail, swapped, kept))
                    return False
            recorder.finish("succeeded", done=count)
            return True
    finally:
        stop.set()
        if beat is not None:
            beat.join(timeout=HEARTBEAT_SECONDS + 1)


def _keep_replay(work: Session, job_id: int, swapped: bool | None, committing: bool) -> bool:
    """After a failure: commit the edits queued again when the new index may be live (True if
    they are kept), else roll back. `committing`: the failure was the commit itself."""
    if swapped is False or committing:
        work.rollback()
        return False
    try:
        work.commit()
        return True
    except Exception:
        work.rollback()
        log.exception("index job %s: the edits to replay were not saved", job_id)
        return False


def failure_message(detail: str, swapped: bool | None, replay_kept: bool) -> str:
    """What a failed rebuild says, by where it stopped (see indexer.sync.rebuild's `swapped`)."""
    if swapped is False:
        return (
            f"Échec de la reconstruction : {detail}. L'index précédent reste en service "
            "(bascule d'un coup)."
        )
    if swapped:
        head = (
            f"Échec après la bascule : {detail}. Le nouvel index est en service (l'ancien sera "
            "supprimé à la prochaine reconstruction)."
        )
    else:
        head = (
            f"Échec pendant la bascule : {detail}. Le nouvel index est peut-être déjà en service."
        )
    if replay_kept:
        return (
            head + " Les modifications faites pendant la reconstruction ont été remises en "
            "file d'indexation : elles y seront envoyées."
        )
    return (
        head + " Les modifications faites pendant la reconstruction peuvent lui manquer : "
        "lancez « romin index reconcile »."
    )


def launch(app: Flask, job_id: int) -> None:
    """Run the job in a thread of this process and return at once (the request answers now).

    INDEX_JOB_WAIT (tests bound to one connection) waits for the thread instead."""
    wait = bool(app.config.get("INDEX_JOB_WAIT"))

    def run() -> None:
        try:
            execute(app, job_id)
        except Exception:  # recorded by execute when it can; else the job goes stale
            log.exception("index job %s: could not record its end", job_id)

    thread = threading.Thread(target=run, name=f"index-job-{job_id}", daemon=True)
    _threads[job_id] = thread
    thread.start()
    if wait:
        thread.join()
