"""Writing documents to the live index, rebuilding it by swap, and reading its state."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from indexer.client import MeiliClient, MeiliError
from indexer.documents import Document, encode_documents

BATCH_SIZE = 1000


def ensure_index(client: MeiliClient, uid: str, settings: dict[str, Any]) -> None:
    """Create the index if missing and push its settings (settings before documents)."""
    if client.get_index(uid) is None:
        client.run("POST", "/indexes", {"uid": uid, "primaryKey": "id"})
    client.run("PATCH", f"/indexes/{uid}/settings", settings)


def push_settings(client: MeiliClient, uid: str, settings: dict[str, Any]) -> None:
    client.run("PATCH", f"/indexes/{uid}/settings", settings)


def upsert(client: MeiliClient, uid: str, documents: list[Document]) -> None:
    """Add or replace documents and wait until Meilisearch has applied them."""
    if documents:
        client.run("POST", f"/indexes/{uid}/documents?primaryKey=id", encode_documents(documents))


def delete(client: MeiliClient, uid: str, ids: list[int]) -> None:
    if ids:
        client.run("POST", f"/indexes/{uid}/documents/delete-batch", list(ids))


def document_count(client: MeiliClient, uid: str) -> int | None:
    """Documents in the index, or None when it does not exist."""
    try:
        return client.request("GET", f"/indexes/{uid}/stats")["numberOfDocuments"]
    except MeiliError as exc:
        if exc.code == "index_not_found":
            return None
        raise


def indexed_values(client: MeiliClient, uid: str, field: str, page: int = 1000) -> dict[int, Any]:
    """Every document's id and one field (None when the document lacks it), page by page."""
    values: dict[int, Any] = {}
    offset = 0
    while True:
        answer = client.request(
            "POST",
            f"/indexes/{uid}/documents/fetch",
            json={"fields": ["id", field], "limit": page, "offset": offset},
        )
        for doc in answer["results"]:
            values[int(doc["id"])] = doc.get(field)
        offset += page
        if offset >= answer["total"]:
            return values


def upsert_batches(
    client: MeiliClient,
    uid: str,
    batches: Iterable[list[Document]],
    progress: Callable[[int], None] = lambda n: None,
    *,
    partial: bool = False,
) -> int:
    """Send batches without waiting between them (Meilisearch indexes while the next batch is
    built), then read every task's outcome; raise on the first failed one. Returns the count.

    `partial`: the documents hold some fields only, merged into the indexed ones (PUT)."""
    pending: list[tuple[int, int]] = []
    total = 0
    for batch in batches:
        if not batch:
            continue
        accepted = client.request(
            "PUT" if partial else "POST",
            f"/indexes/{uid}/documents?primaryKey=id",
            json=encode_documents(batch),
            timeout=120,
        )
        pending.append((accepted["taskUid"], len(batch)))
        total += len(batch)
        # read finished tasks as we go, so a progress bar moves while we send
        while pending and _done(client, pending[0][0]):
            progress(pending.pop(0)[1])
    for task_uid, size in pending:
        client.wait_task(task_uid, timeout=1800)
        progress(size)
    return total


def rebuild(
    client: MeiliClient,
    live_uid: str,
    settings: dict[str, Any],
    batches: Iterable[list[Document]],
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Build a fresh index beside the live one, then swap it in atomically.

    The index's creation, its settings and the batches are sent without waiting for one
    another: Meilisearch applies an index's tasks in the order they came, so the settings are in
    place before any document, and it indexes a batch while the next one is built. Every task's
    outcome is read before the swap. Returns the number of documents indexed.

    An exception raised here carries `swapped`, which the caller needs to word the failure and
    to replay the edits made meanwhile: False, the live index is left as it was (the new one is
    deleted); True, the new index is live and only the old one's deletion failed (a later
    rebuild drops it, its uid starts with `<live>__build_`); None, the swap was sent but its
    outcome is unknown (a timeout, Meilisearch gone): the new index may be live.
    """
    new_uid = f"{live_uid}__build_{int(time.time() * 1000)}"
    swapped: bool | None = False
    try:
        created = client.request("POST", "/indexes", {"uid": new_uid, "primaryKey": "id"})
        configured = client.request("PATCH", f"/indexes/{new_uid}/settings", settings)
        total = upsert_batches(client, new_uid, batches, progress)
        for accepted in (created, configured):  # done before the first batch: read, not awaited
            client.wait_task(accepted["taskUid"])
        if client.get_index(live_uid) is None:
            client.run("POST", "/indexes", {"uid": live_uid, "primaryKey": "id"})
        swapped = None
        try:
            client.run("POST", "/swap-indexes", [{"indexes": [live_uid, new_uid]}])
        except MeiliError as exc:
            if exc.task and exc.task.get("status") in ("failed", "canceled"):
                swapped = False  # Meilisearch refused the swap: nothing changed
            raise
        swapped = True
        # after the swap, new_uid names the old index
        client.run("DELETE", f"/indexes/{new_uid}")
    except BaseException as exc:
        if swapped is not True:
            # the half-built index, or (swap of unknown outcome) whichever of the two is not live
            try:
                client.request("DELETE", f"/indexes/{new_uid}")
            except MeiliError:
                pass
        vars(exc)["swapped"] = swapped  # on any exception, whatever its class
        raise
    return total


def _done(client: MeiliClient, task_uid: int) -> bool:
    task = client.request("GET", f"/tasks/{task_uid}")
    if task["status"] in ("failed", "canceled"):
        client.wait_task(task_uid)  # raises with the task's error
    return task["status"] == "succeeded"
