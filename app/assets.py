"""Serves the pages' static files: the design system (DSFR) from the npm package, no CDN, and
the files app.asset_build makes of it, under hashed names.

A hashed name (``/static/site.<hash>.css``) changes with its content, so it is served
``public, max-age=31536000, immutable``: a returning visitor asks for nothing. Each is sent
precompressed, brotli or gzip as the client's Accept-Encoding says (``Vary: Accept-Encoding``),
as it is otherwise. The unhashed addresses (``/static/romin.css``, ``/dsfr/…``) still answer,
cached an hour or a day, for links kept elsewhere; the pages link the hashed ones
(``asset_url`` in the templates).

Why our own view rather than WhiteNoise: WhiteNoise serves a directory of files built
beforehand, as WSGI middleware in front of Flask; here the files are built in memory at the
first use (app.asset_build says why), and a view keeps them under the app's security headers
and its one list of public routes. Measured on this machine, in process (WSGI calls, no network,
the brotli stylesheet): this view about 310 answers/s (3 ms, nearly all of it the app's own
request hooks), WhiteNoise about 5,300/s. A visitor asks for each hashed file once (then it is
immutable in the browser's cache): about ten files, 30 ms of the server's time spread over
parallel connections, against 150 ms of latency for each on the line of issue 12.

HTML pages are compressed on the fly by Flask-Compress (brotli at quality 4, else gzip),
wired in app.factory.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    request,
    send_from_directory,
    url_for,
)
from flask_compress import Compress

from app.accounts.auth import public
from app.asset_build import Build, BuiltFile, build
from app.config import PACKAGE_DIR, data_dir

bp = Blueprint("assets", __name__)
_STATIC = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
_BUILDS: dict[str, Build] = {}
_LOCK = threading.Lock()


def built() -> Build:
    """This process's build for the app's DSFR_DIR: made once, at the first use."""
    dsfr_dir = str(current_app.config["DSFR_DIR"])
    found = _BUILDS.get(dsfr_dir)
    if found is None:
        with _LOCK:
            found = _BUILDS.get(dsfr_dir)
            if found is None:
                found = build(dsfr_dir, [data_dir("templates"), PACKAGE_DIR], _STATIC)
                _BUILDS[dsfr_dir] = found
    return found


def asset_url(name: str) -> str:
    """The hashed address of a built file, by its plain name: ``asset_url('site.css')``."""
    return url_for("assets.static", filename=built().names[name])


@bp.get("/dsfr/<path:filename>")
@public
def dsfr(filename: str) -> Response:
    directory = Path(current_app.config["DSFR_DIR"])
    if not directory.is_dir():
        abort(404)
    return send_from_directory(directory, filename, max_age=86400)


@bp.get("/static/<path:filename>")
@public
def static(filename: str) -> Response:
    file = built().files.get(filename)
    if file is None:
        return send_from_directory(_STATIC, filename, max_age=3600)
    return _send(file)


def _send(file: BuiltFile) -> Response:
    copies = {"br": file.brotli, "gzip": file.gzip}
    offered = [name for name, body in copies.items() if body is not None]
    encoding = request.accept_encodings.best_match(offered) if offered else None
    body = copies[encoding] if encoding else file.body
    response = Response(body, mimetype=file.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    if offered:
        response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = IMMUTABLE
    response.set_etag(f"{file.digest}-{encoding or 'identity'}")
    response.make_conditional(request)  # a 304 when the browser holds this very copy
    return response


def _compress_pages(app: Flask) -> None:
    """HTML compressed on the fly when the client accepts it: brotli at quality 4 (a 60 KiB
    results page in about 1 ms), else gzip. Only pages: the built files come precompressed,
    and streamed answers (supports, PDFs, exports) go out as they are."""
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html"])
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)


def init_app(app: Flask) -> None:
    """Called before the other request hooks are added: the page is compressed last, once
    the transaction is committed and the security headers set (Flask runs its after_request
    functions in the reverse order)."""
    app.register_blueprint(bp)
    app.add_template_global(asset_url)
    _compress_pages(app)
