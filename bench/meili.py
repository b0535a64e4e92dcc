"""Bench-side helpers around Meilisearch: timed indexing of given documents, task timings.

Kept apart from indexer/ on purpose: the bench measures Meilisearch *without* the app's code
in the way, so it sends pre-serialised bodies on its own keep-alive session and polls tasks
at a fixed, fine interval (5 ms) rather than the app's growing back-off.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

import requests

POLL = 0.005


class Meili:
    def __init__(self, url: str, key: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        # Without it a kept-alive, gzip'd, chunked answer stalls ~40 ms (DESIGN.md, pitfalls).
        self.session.headers.update(
            {
                "Accept-Encoding": "identity",
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
            }
        )

    def call(
        self, method: str, path: str, body=None, data: bytes | None = None, timeout: float = 300
    ):
        response = self.session.request(
            method, self.url + path, json=body if data is None else None, data=data, timeout=timeout
        )
        if response.status_code >= 400:
            raise RuntimeError(
                f"Meilisearch {method} {path}: {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else None

    def task(self, uid: int) -> dict:
        return self.call("GET", f"/tasks/{uid}")

    def wait(self, uid: int, timeout: float = 1800) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(uid)
            if task["status"] == "succeeded":
                return task
            if task["status"] in ("failed", "canceled"):
                raise RuntimeError(f"task {uid} {task['status']}: {task.get('error')}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"task {uid} still {task['status']} after {timeout} s")
            time.sleep(POLL)

    def delete_index(self, uid: str) -> None:
        if self.session.get(f"{self.url}/indexes/{uid}", timeout=30).status_code == 404:
            return
        try:
            self.wait(self.call("DELETE", f"/indexes/{uid}")["taskUid"])
        except RuntimeError as exc:
            if "index_not_found" not in str(exc):
                raise

    def tasks_since(self, since: datetime) -> list[dict]:
        """Every task enqueued after `since` (UTC, aware), oldest first."""
        stamp = since.isoformat().replace("+00:00", "Z")
        found, start = [], None
        while True:
            path = f"/tasks?afterEnqueuedAt={stamp}&limit=1000" + (
                f"&from={start}" if start else ""
            )
            page = self.call("GET", path)
            found += page["results"]
            if not page.get("next"):
                break
            start = page["next"]
        return sorted(found, key=lambda t: t["uid"])


def ts(value: str | None) -> float | None:
    """An RFC 3339 task timestamp as a Unix time (Python 3.11 keeps microseconds)."""
    return datetime.fromisoformat(value).timestamp() if value else None


def task_breakdown(tasks: list[dict], start_wall: float, end_wall: float) -> dict:
    """Where an indexing run spent its time, from the tasks' own timestamps."""
    docs = [t for t in tasks if t["type"] == "documentAdditionOrUpdate"]
    out = {
        "tasks": len(tasks),
        "document_tasks": len(docs),
        "document_batches": len({t.get("batchUid") for t in docs}),
    }
    if not docs:
        return out
    first_task = min(ts(t["enqueuedAt"]) for t in tasks)
    first_doc_enqueued = min(ts(t["enqueuedAt"]) for t in docs)
    last_doc_enqueued = max(ts(t["enqueuedAt"]) for t in docs)
    docs_started = min(ts(t["startedAt"]) for t in docs)
    docs_finished = max(ts(t["finishedAt"]) for t in docs)
    # Tasks of one batch all report the batch's start and end: count each batch once.
    spans = {
        t.get("batchUid", f"t{t['uid']}"): ts(t["finishedAt"]) - ts(t["startedAt"])
        for t in tasks
        if t.get("finishedAt") and t.get("startedAt")
    }
    busy = sum(spans.values())
    batch_busy = {}
    for t in docs:
        batch_busy[t.get("batchUid", t["uid"])] = ts(t["finishedAt"]) - ts(t["startedAt"])
    out.update(
        {
            "before_first_task_s": first_task - start_wall,
            "before_first_document_s": first_doc_enqueued - start_wall,
            "sending_documents_s": last_doc_enqueued - first_doc_enqueued,
            "documents_span_s": docs_finished - docs_started,
            "documents_indexing_busy_s": sum(batch_busy.values()),
            "after_last_document_s": end_wall - docs_finished,
            "all_tasks_busy_s": busy,
        }
    )
    return out


def index_documents(meili: Meili, uid: str, settings: dict, bodies: list[bytes]) -> dict:
    """Meilisearch's own indexing of the same documents and settings as a rebuild.

    Same steps as indexer.sync.rebuild minus the app: create the index, PATCH the settings
    (waited), POST every batch without waiting, then wait for every task. Timed from the first
    request to the moment the last task is seen succeeded (wall clock, 5 ms polls); the tasks'
    own startedAt/finishedAt give the engine-side split.
    """
    meili.delete_index(uid)
    since = datetime.fromtimestamp(time.time() - 1).astimezone()
    start = time.time()
    meili.wait(meili.call("POST", "/indexes", {"uid": uid, "primaryKey": "id"})["taskUid"])
    meili.wait(meili.call("PATCH", f"/indexes/{uid}/settings", settings)["taskUid"])
    uids = [
        meili.call("POST", f"/indexes/{uid}/documents?primaryKey=id", data=body)["taskUid"]
        for body in bodies
    ]
    for task_uid in uids:
        meili.wait(task_uid)
    end = time.time()
    tasks = [
        t for t in meili.tasks_since(since) if t.get("indexUid") == uid and t["uid"] <= uids[-1]
    ]
    tasks = [t for t in tasks if t["enqueuedAt"] and ts(t["enqueuedAt"]) >= start - 0.001]
    return {"wall_s": end - start, **task_breakdown(tasks, start, end)}


def serialise(batches: list[list[dict]]) -> list[bytes]:
    return [json.dumps(batch, ensure_ascii=False).encode() for batch in batches]
