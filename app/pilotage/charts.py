"""Accessible SVG charts built on the server: pure functions, data in, SVG text out.

Every chart is `role="img"` with a <title> and a <desc> it is labelled by, writes its labels
and values as text (no meaning carried by colour alone), and escapes everything it is given.
Colours are presentation attributes (the CSP forbids inline styles); text uses `currentColor`
so that it follows the DSFR light and dark themes. The data table sits beside each chart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

BAR = "#6a6af4"  # DSFR blue France 525: 3:1 against both the light and the dark background
GAP = "#ce0500"  # DSFR error red: hatch of a gap cell (the cell also says "lacune")
GRID = "#929292"
FONT = "Marianne, Arial, sans-serif"
LABEL_CHARS = 34

Number = int | float


def _id(uid: str) -> str:
    """A safe id prefix (letters, digits, dashes)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", uid) or "graphique"
    return cleaned if cleaned[0].isalpha() else "g" + cleaned


def _text(value: object) -> str:
    return escape(str(value))


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _fmt(value: Number) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return f"{int(value):,d}".replace(",", "\u202f")  # French thousands: a narrow space


def svg(uid: str, width: int, height: int, title: str, desc: str, body: str) -> str:
    uid = _id(uid)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="romin-chart" '
        f'viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{uid}-titre {uid}-desc" font-family={quoteattr(FONT)} '
        f'font-size="13" fill="currentColor">'
        f'<title id="{uid}-titre">{_text(title)}</title><desc id="{uid}-desc">{_text(desc)}</desc>'
        f"{body}</svg>"
    )


def _empty(uid: str, title: str, desc: str, message: str, width: int = 640) -> str:
    body = f'<text x="{width // 2}" y="34" text-anchor="middle">{_text(message)}</text>'
    return svg(uid, width, 60, title, desc, body)


def bar_chart(
    uid: str,
    title: str,
    desc: str,
    items: Sequence[tuple[str, Number]],
    *,
    width: int = 640,
    empty: str = "Aucune donnée sur la période.",
    fmt: Callable[[Number], str] = _fmt,
) -> str:
    """Horizontal bars, one per item: its label on the left, its value written after the bar."""
    if not items:
        return _empty(uid, title, desc, empty, width)
    label_w, value_w, row_h, top = 250, 60, 26, 8
    plot_w = width - label_w - value_w
    peak = max((value for _label, value in items), default=0) or 1
    parts = []
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = max(0.0, plot_w * value / peak)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{_text(_short(label))}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{BAR}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{_text(fmt(value))}</text>'
        )
    axis = (
        f'<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{top + len(items) * row_h}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    )
    return svg(uid, width, top * 2 + len(items) * row_h, title, desc, axis + "".join(parts))


def small_multiples(
    uid: str,
    title: str,
    desc: str,
    bucket_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    *,
    width: int = 640,
    empty: str = "Aucune donnée sur la période.",
    fmt: Callable[[Number], str] = _fmt,
    total_label: str = "total",
) -> str:
    """One row per series: its name, a bar per time bucket on a shared scale, and its total.

    Rows side by side replace colours and a legend: each series is named by text.
    """
    if not series or not bucket_labels:
        return _empty(uid, title, desc, empty, width)
    label_w, total_w, row_h, top, axis_h = 230, 80, 34, 6, 22
    plot_w = width - label_w - total_w
    n = len(bucket_labels)
    step = plot_w / n
    bar_w = max(1.0, step * 0.8)
    peak = max((value for _name, values in series for value in values), default=0) or 1
    parts = []
    for i, (name, values) in enumerate(series):
        y = top + i * row_h
        base = y + row_h - 6
        parts.append(
            f'<text x="{label_w - 8}" y="{base - 6}" text-anchor="end">'
            f"{_text(_short(name, 30))}</text>"
        )
        parts.append(
            f'<line x1="{label_w}" y1="{base}" x2="{label_w + plot_w}" y2="{base}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        for j, value in enumerate(values):
            h = (row_h - 10) * value / peak
            if h > 0:
                parts.append(
                    f'<rect x="{label_w + j * step + (step - bar_w) / 2:.1f}" y="{base - h:.1f}" '
                    f'width="{bar_w:.1f}" height="{h:.1f}" fill="{BAR}"/>'
                )
        total = sum(values)
        parts.append(
            f'<text x="{label_w + plot_w + 8}" y="{base - 6}">{_text(fmt(total))} '
            f"{_text(total_label)}</text>"
        )
    axis_y = top + len(series) * row_h + 15
    parts.append(
        f'<text x="{label_w}" y="{axis_y}" font-size="11">{_text(bucket_labels[0])}</text>'
    )
    if n > 1:
        parts.append(
            f'<text x="{label_w + plot_w}" y="{axis_y}" font-size="11" text-anchor="end">'
            f"{_text(bucket_labels[-1])}</text>"
        )
    return svg(uid, width, top + len(series) * row_h + axis_h, title, desc, "".join(parts))


def _lines(label: str, width: int, count: int) -> list[str]:
    """Words of `label` in at most `count` lines of about `width` characters, the last cut short."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > count:
        lines = lines[: count - 1] + [_short(" ".join(lines[count - 1 :]), width)]
    return [_short(line, width) for line in lines]


def matrix(
    uid: str,
    title: str,
    desc: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[int]],
    *,
    width: int = 760,
    gap_label: str = "lacune",
) -> str:
    """A grid of counts; a zero cell is hatched and says `gap_label` in words."""
    if not row_labels or not column_labels:
        return _empty(uid, title, desc, "Aucune donnée.", width)
    uid = _id(uid)
    label_w, head_h, row_h = 230, 50, 34
    cell_w = (width - label_w) / len(column_labels)
    pattern = f"{uid}-hachures"
    parts = [
        f'<defs><pattern id="{pattern}" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="none"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{GAP}" stroke-width="3"/></pattern></defs>'
    ]
    for j, label in enumerate(column_labels):
        x = label_w + j * cell_w + cell_w / 2
        for k, line in enumerate(_lines(str(label), max(8, int(cell_w / 6.2)), 3)):
            parts.append(
                f'<text x="{x:.1f}" y="{13 + 13 * k}" text-anchor="middle" font-size="11">'
                f"{_text(line)}</text>"
            )
    for i, label in enumerate(row_labels):
        y = head_h + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 21}" text-anchor="end">'
            f"{_text(_short(label, 32))}</text>"
        )
        for j, value in enumerate(values[i]):
            x = label_w + j * cell_w
            gap = value == 0
            fill = f"url(#{pattern})" if gap else "none"
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y + 1}" width="{cell_w - 2:.1f}" height="{row_h - 2}" '
                f'fill="{fill}" stroke="{GRID}" stroke-width="1"/>'
            )
            text = f"0 — {gap_label}" if gap else _fmt(value)
            weight = ' font-weight="bold"' if gap else ""
            if gap:  # a plate under the words keeps them readable over the hatching
                parts.append(
                    f'<rect x="{x + cell_w / 2 - 38:.1f}" y="{y + 9}" width="76" height="17" '
                    f'fill="#ffffff" stroke="{GAP}" stroke-width="1" rx="2"/>'
                )
                parts.append(
                    f'<text x="{x + cell_w / 2:.1f}" y="{y + 22}" text-anchor="middle" '
                    f'fill="#161616" font-size="12"{weight}>{_text(text)}</text>'
                )
            else:
                parts.append(
                    f'<text x="{x + cell_w / 2:.1f}" y="{y + 22}" text-anchor="middle">'
                    f"{_text(text)}</text>"
                )
    return svg(uid, width, head_h + len(row_labels) * row_h + 4, title, desc, "".join(parts))
