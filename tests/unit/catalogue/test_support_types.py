import io
import zipfile

import pytest

from app.catalogue.supports import SupportRejected, detect_type


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_types_are_detected_by_content():
    assert detect_type(b"%PDF-1.4 ...") == "pdf"
    assert detect_type(b"\x89PNG\r\n\x1a\n....") == "png"
    assert detect_type(b"\xff\xd8\xff\xe0....") == "jpg"
    assert (
        detect_type(_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"})) == "docx"
    )
    assert detect_type(_zip({"mimetype": b"application/vnd.oasis.opendocument.text"})) == "odt"


@pytest.mark.parametrize("data", [b"MZ\x90\x00 executable", b"<html>", _zip({"a.txt": b"x"})])
def test_other_content_is_rejected_whatever_its_name(data):
    with pytest.raises(SupportRejected):
        detect_type(data)


def test_an_archive_with_abnormal_uncompressed_size_is_rejected():
    bomb = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"0" * (101 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(SupportRejected, match="anormal"):
        detect_type(bomb)
