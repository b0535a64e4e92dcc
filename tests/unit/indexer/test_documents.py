import json
from datetime import date

from indexer.documents import (
    ToolData,
    build_document,
    content_hash,
    encode_documents,
    score_update,
)

FACTORS = ["addictions", "emploi"]


def _tool(tool_id: int = 7, **changes) -> ToolData:
    values = dict(
        id=tool_id,
        slug=f"outil-{tool_id}",
        title="Balance « décisionnelle » \\ l'été",
        kind="fiche",
        phase="evaluation",
        summary='Peser le pour et le contre, "sans juger".',
        instructions="Étape 1 : écouter.\nÉtape 2 : reformuler. " * 10,
        precautions="Aucune",
        protective_factors="",
        risk_factors=[("addictions", "Addictions", ["alcool"])],
        stages=["contemplation"],
        modality="individuel",
        sessions="1",
        minutes_per_session=45,
        preparation_minutes=None,
        setting=["milieu-ouvert"],
        responsivity=[],
        evidence_level=3,
        not_recommended=False,
        rating_average=4.25,
        rating_count=12,
        scores={"_": 0.61, "addictions": 0.7234},
        last_review=date(2026, 3, 1),
    )
    values.update(changes)
    return ToolData(**values)  # type: ignore[arg-type]


def test_a_built_document_is_sent_as_exactly_its_fields():
    docs = [build_document(_tool(7), FACTORS), build_document(_tool(8, title="Autre"), FACTORS)]
    sent = json.loads(encode_documents(docs).decode("utf-8"))
    assert sent == [json.loads(json.dumps(doc)) for doc in docs]
    assert "é" in encode_documents(docs).decode("utf-8")  # UTF-8, not \\u escapes


def test_a_changed_copy_is_sent_with_its_change():
    doc = build_document(_tool(), FACTORS)
    copy = dict(doc, title="Avant")
    (sent,) = json.loads(encode_documents([copy]))
    assert sent["title"] == "Avant" and sent["summary"] == doc["summary"]


def test_the_stored_hashes_are_those_of_the_whole_document():
    doc = build_document(_tool(), FACTORS)
    assert doc["content_hash"] == content_hash(doc)
    assert build_document(_tool(title="Autre"), FACTORS)["base_hash"] != doc["base_hash"]
    scores_only = score_update(doc["id"], doc["base_hash"], _tool().scores, FACTORS)
    assert scores_only["content_hash"] == doc["content_hash"]
    moved = score_update(doc["id"], doc["base_hash"], {"_": 0.5}, FACTORS)
    assert moved["content_hash"] == content_hash({**doc, **moved})
    assert moved["content_hash"] != doc["content_hash"]
