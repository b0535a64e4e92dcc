"""The pages' static files, built once per process: one stylesheet holding only the parts of the
State's design system (DSFR) that the templates use, one script, and a hashed, precompressed
copy (gzip and brotli) of every file the pages link, fonts and icons included.

Why: the pages used to link DSFR whole (dsfr.min.css 711 KiB, utility.min.css 445 KiB, the
112 KiB script, uncompressed, cached one day): 1,484 KiB for a first visit of /recherche, about
6.7 s before the first paint on a 1.6 Mbit/s line (issue 12). Here:

- the components kept are those whose own selectors start with a class the templates write
  (``fr-card`` keeps card, ``fr-btn`` keeps button); each is kept whole, in DSFR's own order
  (core, scheme, then the components as dsfr.css orders them), so the states its script adds
  (``fr-collapse--expanded``…) keep their styles; the IE11 "legacy" part is left out;
- the utilities (icons, colours) are kept rule by rule, for the classes the templates write;
- the fonts: Marianne regular and bold only (the browser draws medium and light with the
  nearest of these, italics slanted): each face is 58 KiB, the budget of a first visit 250 KiB;
- every ``url()`` the kept rules point to (icons, fonts) becomes a hashed file of its own.

Built from the files themselves at the first page or file asked for, not at install time: the
result follows the templates and DSFR_DIR without a build step to forget (CI, Docker, a
checkout, the installed wheel behave alike), and costs about a second of one core per process
(brotli at its best quality), measured on this machine. The build is deterministic, so every
gunicorn worker names the same content with the same hash.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import posixpath
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import brotli

# Font faces kept: (family, weight, style). See the module docstring.
FONT_FACES = {("Marianne", "400", "normal"), ("Marianne", "700", "normal")}
# Files that are compressed already: served as they are.
_PRECOMPRESSED = {".woff2", ".woff", ".png", ".ico", ".jpg", ".jpeg", ".webp"}
MIMETYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
}
_CLASS = re.compile(r"fr-[A-Za-z0-9_-]+")
# Where the templates' classes are read: the pages, the app's code and its own static files.
_SOURCE_SUFFIXES = {".html", ".txt", ".py", ".css", ".js"}


@dataclass(frozen=True)
class BuiltFile:
    """One file as served under /static/: its hashed path, its bytes and their compressed
    copies (None where compressing does not pay)."""

    path: str
    body: bytes
    mimetype: str
    digest: str
    gzip: bytes | None
    brotli: bytes | None


@dataclass(frozen=True)
class Build:
    files: dict[str, BuiltFile]  # by hashed path under /static/
    names: dict[str, str]  # a logical name ("site.css") -> its hashed path


# -- which classes the pages write -----------------------------------------------------------


def used_classes(sources: Iterable[Path]) -> set[str]:
    """Every ``fr-…`` word in the templates and the app's code. A word ending with a dash is
    the start of a class a template completes (``fr-badge--{{ kind }}``): kept as a prefix."""
    found: set[str] = set()
    for root in sources:
        for path in sorted(root.rglob("*")):
            if path.suffix in _SOURCE_SUFFIXES and path.is_file():
                found.update(_CLASS.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def _matches(name: str, used: set[str], prefixes: tuple[str, ...]) -> bool:
    return name in used or name.startswith(prefixes)


# -- a small reader of minified CSS ----------------------------------------------------------


def _skip_string(css: str, i: int) -> int:
    quote = css[i]
    i += 1
    while i < len(css) and css[i] != quote:
        i += 2 if css[i] == "\\" else 1
    return i + 1


_SPECIAL = re.compile(r"[{};\"'/]")
_IN_BLOCK = re.compile(r"[{}\"'/]")


def _comment_end(css: str, i: int) -> int:
    end = css.find("*/", i + 2)
    return len(css) if end < 0 else end + 2


def statements(css: str) -> list[tuple[str, str | None]]:
    """The top-level statements of a stylesheet, comments dropped: (prelude, block) for a rule
    or an at-rule with a block, (statement, None) for one without (``@charset``)."""
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(css)
    prelude: list[str] = []
    start = 0
    while True:
        match = _SPECIAL.search(css, i)
        if match is None:
            break
        i = match.start()
        c = css[i]
        if c == "/":
            if css.startswith("/*", i):
                prelude.append(css[start:i])
                i = start = _comment_end(css, i)
            else:
                i += 1
        elif c in "\"'":
            i = _skip_string(css, i)
        elif c == ";":
            text = ("".join(prelude) + css[start:i]).strip()
            if text:
                out.append((text, None))
            prelude, i = [], i + 1
            start = i
        elif c == "{":
            head = ("".join(prelude) + css[start:i]).strip()
            depth, j = 1, i + 1
            while depth:
                inner = _IN_BLOCK.search(css, j)
                if inner is None:
                    j = n
                    break
                j, d = inner.start(), inner.group()
                if d in "\"'":
                    j = _skip_string(css, j)
                elif d == "/":
                    j = _comment_end(css, j) if css.startswith("/*", j) else j + 1
                else:
                    depth += 1 if d == "{" else -1
                    j += 1
            out.append((head, css[i + 1 : j - 1]))
            prelude, i = [], j
            start = i
        else:  # a stray "}"
            i += 1
    return out


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split on its top-level commas (not those of ``:is(a,b)``)."""
    if not any(c in prelude for c in "([\"'"):
        return [p.strip() for p in prelude.split(",")]
    parts, depth, start, i = [], 0, 0, 0
    while i < len(prelude):
        c = prelude[i]
        if c in "\"'":
            i = _skip_string(prelude, i)
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
        i += 1
    parts.append(prelude[start:])
    return [p.strip() for p in parts]


_ATTRIBUTE = re.compile(r"\[[^\]]*\]")
_SELECTOR_CLASS = re.compile(r"\.((?:\\.|[A-Za-z0-9_-])+)")


def selector_classes(selector: str) -> list[str]:
    bare = _ATTRIBUTE.sub("", selector)
    return [m.replace("\\", "") for m in _SELECTOR_CLASS.findall(bare)]


def prune(css: str, keep: Callable[[str], bool]) -> str:
    """The rules of ``css`` whose selectors ``keep`` accepts (a selector list loses the
    selectors it refuses), inside @media/@supports too; other at-rules are kept."""
    out = []
    for prelude, block in statements(css):
        if block is None:
            continue  # @charset: the bundle declares its own
        if prelude.startswith(("@media", "@supports")):
            inner = prune(block, keep)
            if inner:
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{block}}}")
        else:
            kept = [s for s in _split_selectors(prelude) if keep(s)]
            if kept:
                out.append(f"{','.join(kept)}{{{block}}}")
    return "".join(out)


def _declaration(block: str, name: str) -> str:
    match = re.search(rf"(?:^|;)\s*{name}\s*:\s*([^;]+)", block)
    return match.group(1).strip().strip("\"'") if match else ""


def keep_font_faces(css: str, faces: set[tuple[str, str, str]]) -> str:
    """``css`` without the @font-face rules of faces not in ``faces``."""
    if "@font-face" not in css:
        return css
    out = []
    for prelude, block in statements(css):
        if block is None:
            continue
        if prelude == "@font-face":
            face = tuple(
                _declaration(block, p) for p in ("font-family", "font-weight", "font-style")
            )
            if face not in faces:
                continue
        out.append(f"{prelude}{{{block}}}")
    return "".join(out)


# -- hashed files ------------------------------------------------------------------------------


def _hashed_name(path: str, digest: str) -> str:
    stem, dot, ext = path.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{path}.{digest}"


def _cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"romin-brotli-{os.getuid()}"


def brotli_compressed(body: bytes, digest: str) -> bytes:
    """``body`` at brotli's best quality (11), which takes about 1.5 s of a core for the
    stylesheet: kept in a cache of compressed copies named by the content's digest, so a
    process that starts again (a gunicorn worker, a test run) finds it done. What the cache
    holds is checked (decompressed and compared, a few ms) before it is served."""
    cached = _cache_dir() / f"{hashlib.sha256(body).hexdigest()}.br"
    try:
        data = cached.read_bytes()
        if brotli.decompress(data) == body:
            return data
    except (OSError, brotli.error):
        pass
    data = brotli.compress(body, quality=11)
    try:
        cached.parent.mkdir(mode=0o700, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(cached)  # atomic: workers building at once never read half a file
    except OSError:
        pass  # a read-only or full disk: compressed again at the next start
    return data


class _Builder:
    def __init__(self) -> None:
        self.files: dict[str, BuiltFile] = {}
        self.names: dict[str, str] = {}

    def add(self, name: str, body: bytes) -> str:
        """Registers ``body`` as ``name`` (a path under /static/); returns its hashed path."""
        if name in self.names:
            return self.names[name]
        digest = hashlib.sha256(body).hexdigest()[:12]
        path = _hashed_name(name, digest)
        suffix = Path(name).suffix
        compressed_gz = compressed_br = None
        if suffix not in _PRECOMPRESSED:
            compressed_gz = gzip.compress(body, 9, mtime=0)
            compressed_br = brotli_compressed(body, digest)
        self.files[path] = BuiltFile(
            path=path,
            body=body,
            mimetype=MIMETYPES.get(suffix, "application/octet-stream"),
            digest=digest,
            gzip=compressed_gz if compressed_gz and len(compressed_gz) < len(body) else None,
            brotli=compressed_br if compressed_br and len(compressed_br) < len(body) else None,
        )
        self.names[name] = path
        return path


_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


def _rewrite_urls(css: str, source: Path, dsfr: Path, builder: _Builder, prefix: str) -> str:
    """Points each relative ``url()`` of ``css`` (read from ``source``, inside ``dsfr``) at a
    hashed copy of its file, served beside the bundle."""

    def replace(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        if target.startswith(("data:", "http:", "https:", "/", "#")):
            return match.group(0)
        clean = target.split("#")[0].split("?")[0]
        file = (source.parent / clean).resolve()
        if not file.is_relative_to(dsfr) or not file.is_file():
            return match.group(0)
        relative = posixpath.join("dsfr", file.relative_to(dsfr).as_posix())
        return f"url({prefix}{builder.add(relative, file.read_bytes())})"

    return _URL.sub(replace, css)


# -- the design system's parts -----------------------------------------------------------------


def _css(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _starting_classes(css: str) -> set[str]:
    """The classes a component's selectors start with: what it styles on its own."""
    found = set()
    for prelude, block in statements(css):
        if block is None:
            continue
        if prelude.startswith(("@media", "@supports")):
            found |= _starting_classes(block)
        elif not prelude.startswith("@"):
            for selector in _split_selectors(prelude):
                match = re.match(r"\.((?:\\.|[A-Za-z0-9_-])+)", selector)
                if match:
                    found.add(match.group(1))
    return found


def component_order(dsfr: Path) -> list[str]:
    """DSFR's components in the order dsfr.main.min.css holds them (the order it requires)."""
    whole = _css(dsfr / "dsfr.main.min.css")
    positions = []
    for folder in (dsfr / "component").iterdir():
        own = _css(folder / f"{folder.name}.main.min.css")
        body = re.sub(r"^(@charset[^;]*;)?\s*(/\*!.*?\*/)?", "", own, flags=re.S)
        where = whole.find(body[:300]) if body else -1
        if where >= 0:
            positions.append((where, folder.name))
    return [name for _, name in sorted(positions)]


def components_used(dsfr: Path, used: set[str], prefixes: tuple[str, ...]) -> list[str]:
    """The components whose own selectors start with a class the pages write. A class that
    starts selectors in several components (``fr-fieldset--error``: form, input, toggle…) keeps
    them only if none of those is kept for a class of its own."""
    order = component_order(dsfr)
    starts = {
        n: _starting_classes(_css(dsfr / "component" / n / f"{n}.main.min.css")) for n in order
    }
    homes: dict[str, list[str]] = {}
    for name in order:
        for cls in starts[name]:
            homes.setdefault(cls, []).append(name)
    kept: set[str] = set()
    shared = []
    for cls, names in homes.items():
        if _matches(cls, used, prefixes):
            if len(names) == 1:
                kept.add(names[0])
            else:
                shared.append(names)
    for names in shared:
        if not kept.intersection(names):
            kept.update(names)
    return [name for name in order if name in kept]


def _script_words(dsfr: Path) -> set[str]:
    """``fr-`` + every quoted word of DSFR's scripts: the state classes they add to the page
    (``fr-collapse--expanded``…), which no template writes."""
    words: set[str] = set()
    for path in sorted(dsfr.rglob("*.module.min.js")):
        words.update(re.findall(r"[\"'`]([a-z0-9_-]+)[\"'`]", path.read_text(encoding="utf-8")))
    return {f"fr-{word}" for word in words}


_FREE_PSEUDO = re.compile(r":(?:not|is|where|has)\((?:[^()]|\([^()]*\))*\)")


def build(dsfr_dir: str | Path, sources: Iterable[Path], static_dir: Path) -> Build:
    """Builds everything the pages link. ``sources``: where the pages' classes are read."""
    dsfr = Path(dsfr_dir).resolve()
    used = used_classes(sources)
    prefixes = tuple(c for c in used if c.endswith("-"))
    wanted = used | _script_words(dsfr)
    builder = _Builder()
    components = components_used(dsfr, used, prefixes)

    def keep(selector: str) -> bool:
        # a class under :not()/:is()/:where()/:has() never makes a rule useless: not checked
        bare = _FREE_PSEUDO.sub("", selector)
        return all(_matches(c, wanted, prefixes) for c in selector_classes(bare))

    sheets = [dsfr / "core" / "core.main.min.css", dsfr / "core" / "core.print.min.css"]
    sheets.append(dsfr / "scheme" / "scheme.min.css")
    for name in components:
        sheets += [
            dsfr / "component" / name / f"{name}.{kind}.min.css" for kind in ("main", "print")
        ]
    sheets += [dsfr / "utility" / f"utility.{kind}.min.css" for kind in ("main", "print")]
    css = ['@charset "UTF-8";']
    for path in sheets:
        text = prune(keep_font_faces(_css(path), FONT_FACES), keep)
        css.append(_rewrite_urls(text, path, dsfr, builder, prefix=""))
    css.append(_css(static_dir / "romin.css"))
    builder.add("site.css", "\n".join(part for part in css if part).encode())

    # the script: DSFR's core and scheme, then the kept components' own, each in a block of
    # its own (they are ES modules that declare the same short names at their top level)
    scripts = [dsfr / "core" / "core.module.min.js", dsfr / "scheme" / "scheme.module.min.js"]
    scripts += [dsfr / "component" / n / f"{n}.module.min.js" for n in components]
    js = []
    for path in scripts:
        if path.is_file():
            text = re.sub(r"//# sourceMappingURL=\S+\s*$", "", path.read_text(encoding="utf-8"))
            js.append("{\n" + text.strip() + "\n}")
    builder.add("site.js", "\n".join(js).encode())

    builder.add("favicon.svg", (dsfr / "favicon" / "favicon.svg").read_bytes())
    for path in sorted(static_dir.iterdir()):
        if path.is_file() and path.suffix in MIMETYPES:
            builder.add(path.name, path.read_bytes())
    return Build(files=builder.files, names=builder.names)
