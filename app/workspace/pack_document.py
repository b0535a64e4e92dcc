"""The pages ROMIN writes itself in a session pack and a plan's PDF: a cover, a plan of
sessions, a tool's summary, a page for an image or a notice. fpdf2, A4, nothing about a person.

French typography: fpdf2's core fonts (Helvetica) are written here in Windows-1252, which has
every character French needs (’ « » œ Œ … – — € and the accented capitals) where latin-1 lacks
’, œ and …; anything else is mapped to a near equivalent (`pdf_text`), so no text can make the
PDF fail. No font file is shipped or needed.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image

from app.core.markdown import render

FOOTER = "Document de travail ROMIN — n'y inscrivez rien qui permette d'identifier une personne."
MARGIN = 18
# a tool's summary is one or two pages: its long texts are cut (the sheet has the rest)
SUMMARY_MAX_PAGES = 2
TEXT_BUDGETS = ((3500, 900, 700), (1800, 500, 400), (800, 300, 300))
# an image support is placed at most this many pixels a side (about 200 dpi across the page),
# and one of more than MAX_IMAGE_PIXELS is not decoded at all
IMAGE_SIDE = 1400
MAX_IMAGE_PIXELS = 60_000_000

# characters outside Windows-1252, mapped to what the core fonts can write
_MAP = {
    "\u202f": "\u00a0",  # narrow no-break space (before ; : ! ?) -> no-break space
    "\u2009": " ",
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "–",
    "\u2212": "-",
    "\u2032": "'",
    "\u2033": '"',
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2713": "v",
    "\u2714": "v",
    "\u25cf": "•",
    "\u25a1": "[ ]",
    "\u2610": "[ ]",
    "\u00ad": "",
}


def pdf_text(value: object) -> str:
    """Text the core fonts can write: composed accents, typography kept where Windows-1252 has
    it, a near equivalent where it has not, and « ? » for anything else (never an error)."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = "".join(_MAP.get(char, char) for char in text)
    return text.encode("cp1252", "replace").decode("cp1252")


class PackPdf(FPDF):
    """An A4 page of ROMIN's: a grey running title, the footer reminding that nothing about a
    person goes on the page."""

    def __init__(self, running_title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = "cp1252"
        self.running_title = running_title
        self.set_margins(MARGIN, 14, MARGIN)
        self.set_auto_page_break(True, margin=20)
        self.set_author("ROMIN")
        self.set_creator("ROMIN")
        self.set_lang("fr-FR")
        self.set_title(pdf_text(running_title))

    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, pdf_text(f"ROMIN — {self.running_title}"), align="L")
        self.ln(7)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_draw_color(180, 180, 180)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.set_font("Helvetica", "I", 7.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, pdf_text(FOOTER), align="L")
        self.set_text_color(0, 0, 0)

    # -- blocks ----------------------------------------------------------------------------

    def page_title(self, text: str) -> None:
        self.set_font("Helvetica", "B", 17)
        self.multi_cell(0, 8, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def heading(self, text: str) -> None:
        if self.get_y() + 18 > self.page_break_trigger:
            self.add_page()
        self.ln(1)
        self.set_font("Helvetica", "B", 12)
        self.set_fill_color(232, 238, 247)
        self.multi_cell(0, 7, pdf_text(text), fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 10.5, style: str = "") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, 5.3, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def field(self, label: str, value: str) -> None:
        """« Label : value », the label in bold, the value flowing after it."""
        self.set_font("Helvetica", "B", 10.5)
        self.write(5.3, pdf_text(f"{label} : "))
        self.set_font("Helvetica", "", 10.5)
        self.write(5.3, pdf_text(value))
        self.ln(5.8)

    def bullets(self, lines: Sequence[str], size: float = 10.5) -> None:
        self.set_font("Helvetica", "", size)
        for line in lines:
            self.set_x(self.l_margin + 2)
            self.multi_cell(0, 5.3, pdf_text(f"•  {line}"), new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def link_line(self, text: str, url: str) -> None:
        self.set_font("Helvetica", "", 9.5)
        self.set_text_color(0, 0, 145)
        self.multi_cell(0, 5, pdf_text(text), link=url, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def markdown_text(self, text: str, *, plain: bool = False) -> None:
        """A sheet's Markdown (its instructions), through the same safe HTML as the sheet;
        `plain`: as plain text (for markup fpdf2 cannot lay out)."""
        # the sheet's headings as bold lines (fpdf2 draws headings large and red)
        html = re.sub(
            r"<(/?)h\d>", lambda m: "</b></p>" if m.group(1) else "<p><b>", str(render(text))
        )
        if plain:
            self.paragraph(_plain(html))
        else:
            self.set_font("Helvetica", "", 10.5)
            self.write_html(pdf_text(html), ul_bullet_char="•", li_prefix_color=(0, 0, 0))
        self.ln(1)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[int] | None = None,
    ) -> None:
        """A table; `widths`: the columns' shares of the page's width."""
        self.set_font("Helvetica", "", 9.5)
        self.set_draw_color(150, 150, 150)
        style = FontFace(emphasis="BOLD", fill_color=(232, 238, 247))
        with self.table(
            line_height=5.2,
            text_align="LEFT",
            padding=1.6,
            headings_style=style,
            col_widths=tuple(widths) if widths else None,
        ) as table:
            head = table.row()
            for text in headings:
                head.cell(pdf_text(text))
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(pdf_text(text))
        self.ln(3)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def _plain(html: str) -> str:
    text = re.sub(r"<(br|/p|/li|/h\d|/tr)\s*/?>", "\n", html)
    text = re.sub(r"<li>", "• ", text)
    text = re.sub(r"<[^>]+>", "", text)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'")):
        text = text.replace(entity, char)
    return re.sub(r"\n{3,}", "\n\n", text.replace("&amp;", "&")).strip()


def cut(text: str, budget: int) -> tuple[str, bool]:
    """The text cut at a paragraph (or else a sentence) before `budget` characters; whether
    it was cut."""
    text = (text or "").strip()
    if len(text) <= budget:
        return text, False
    head = text[:budget]
    for mark in ("\n\n", "\n", ". "):
        at = head.rfind(mark)
        if at > budget // 2:
            return head[: at + (1 if mark == ". " else 0)].rstrip(), True
    return head.rsplit(" ", 1)[0].rstrip() + " …", True


@dataclass(frozen=True)
class Notice:
    """A one-page notice in the pack (a support that could not be read)."""

    title: str
    lines: tuple[str, ...]
    url: str = ""


def notice_page(running_title: str, notice: Notice) -> bytes:
    pdf = PackPdf(running_title)
    pdf.add_page()
    pdf.heading(notice.title)
    for line in notice.lines:
        pdf.paragraph(line)
    if notice.url:
        pdf.link_line(notice.url, notice.url)
    return pdf.to_bytes()


class ImageTooLarge(ValueError):
    """An image past MAX_IMAGE_PIXELS: linked, not placed."""


def printable_image(data: bytes) -> bytes:
    """An image support as a JPEG of print size: a photo of 4,000 pixels is decoded at a
    fraction of its size and never recompressed whole (placing it as it is cost about a second
    and megabytes per image); transparency on white. Raises on bytes that are no image, and
    on an image past MAX_IMAGE_PIXELS (a decompression bomb)."""
    with Image.open(io.BytesIO(data)) as image:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise ImageTooLarge(f"{image.width} x {image.height}")
        image.draft("RGB", (IMAGE_SIDE, IMAGE_SIDE))  # JPEG: decoded already reduced
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = image.convert("RGB")
        flat.thumbnail((IMAGE_SIDE, IMAGE_SIDE), reducing_gap=2.0)
        out = io.BytesIO()
        flat.save(out, "JPEG", quality=82)
        return out.getvalue()


def image_page(running_title: str, heading: str, data: bytes) -> bytes:
    """One image support on its own page, as large as the page allows, its proportions kept.
    Raises on bytes that are no image it can read (the caller names the support instead)."""
    jpeg = printable_image(data)
    pdf = PackPdf(running_title)
    pdf.add_page()
    pdf.heading(heading)
    top = pdf.get_y()
    pdf.image(
        io.BytesIO(jpeg),
        x=pdf.l_margin,
        y=top,
        w=pdf.epw,
        h=pdf.page_break_trigger - top - 2,
        keep_aspect_ratio=True,
    )
    return pdf.to_bytes()
