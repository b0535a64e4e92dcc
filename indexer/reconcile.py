"""Reconcile: compare the index with the database by id and content hash, repair the difference."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer import sync
from indexer.client import MeiliClient
from indexer.documents import Document


@dataclass
class Repair:
    upserted: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.upserted or self.deleted)


def indexed_hashes(client: MeiliClient, uid: str) -> dict[int, str]:
    """Every document's id and content hash."""
    return {i: h or "" for i, h in sync.indexed_values(client, uid, "content_hash").items()}


def plan(indexed: dict[int, str], expected: dict[int, str]) -> tuple[list[int], list[int]]:
    """Ids to (re)send and ids to delete so that the index equals the database. Pure."""
    to_send = sorted(i for i, h in expected.items() if indexed.get(i) != h)
    to_delete = sorted(set(indexed) - set(expected))
    return to_send, to_delete


def reconcile(client: MeiliClient, uid: str, batches: Iterable[list[Document]]) -> Repair:
    """`batches`: the documents every published tool should have (the one document builder's)."""
    indexed = indexed_hashes(client, uid)
    expected: dict[int, str] = {}
    repair = Repair()
    for batch in batches:
        stale = []
        for doc in batch:
            expected[doc["id"]] = doc["content_hash"]
            if indexed.get(doc["id"]) != doc["content_hash"]:
                stale.append(doc)
        sync.upsert(client, uid, stale)
        repair.upserted += [d["id"] for d in stale]
    _, to_delete = plan(indexed, expected)
    sync.delete(client, uid, to_delete)
    repair.deleted = to_delete
    return repair
