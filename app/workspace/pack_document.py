"""The pages ROMIN writes itself in a session pack and a plan's PDF: a cover, a plan of
sessions, a tool's summary, a page for an image or a notice. fpdf2, A4, nothing about a person.

French typography: fpdf2's core fonts (Helvetica) are written here in Windows-1252, which has
every character French needs (’ « » œ Œ … – — € and the accented capitals) where latin-1 lacks
’, œ and …; anything else is mapped to a near equivalent (`pdf_text`), so no text can make the
PDF fail. No font file is shipped or needed.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from fpdf import FPDF
from fpdf.fonts import CoreFont, FontFace
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
        self.flow(Block(runs=[(style, text)]), size=size)
        self.ln(0.5)

    def field(self, label: str, value: str) -> None:
        """« Label : value », the label in bold, the value flowing after it."""
        self.set_font("Helvetica", "B", 10.5)
        self.write(5.3, pdf_text(f"{label} : "))
        self.set_font("Helvetica", "", 10.5)
        self.write(5.3, pdf_text(value))
        self.ln(5.8)

    def bullets(self, lines: Sequence[str], size: float = 10.5, numbered: bool = False) -> None:
        for n, line in enumerate(lines, start=1):
            self.flow(Block(runs=[("", line)], prefix=f"{n}." if numbered else "•"), size=size)
        self.ln(1.5)

    def link_line(self, text: str, url: str) -> None:
        self.set_font("Helvetica", "", 9.5)
        self.set_text_color(0, 0, 145)
        self.multi_cell(0, 5, pdf_text(text), link=url, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def markdown_text(self, text: str) -> None:
        """A sheet's Markdown (its instructions), through the same safe HTML as the sheet, laid
        out by `flow`: paragraphs, headings as bold lines, lists, bold and italics."""
        parser = _Blocks()
        parser.feed(str(render(text)))
        parser.close()
        for block in parser.blocks:
            self.flow(block)
        self.ln(1)

    def flow(self, block: Block, size: float = 10.5) -> None:
        """One block of text, its words wrapped greedily at the page's width, each word's width
        measured once. fpdf2's own line breaking measures a line again for every character
        added to it; this is about eight times faster, and a pack lays out pages of text."""
        height = size * 0.505  # mm: a line and a little more
        indent = block.level * 5.0
        left = self.l_margin + indent + (5.0 if block.prefix else 0.0)
        width = self.w - self.r_margin - left
        # a core font's widths, read from its table (fpdf2's get_string_width lays the text out
        # as fragments first: a tenth of a millisecond a word)
        fonts: dict[str, CoreFont] = {}
        for style in {style for style, _text in block.runs}:
            self.set_font("Helvetica", style, size)
            assert isinstance(self.current_font, CoreFont)
            fonts[style] = self.current_font

        def measure(style: str, word: str) -> float:
            width: float = fonts[style].get_text_width(self.normalize_text(word), size, None)[1]
            return width / self.k

        self.set_font("Helvetica", "", size)
        space = self.get_string_width(" ")
        lines: list[list[list[tuple[str, str]]]] = [[]]
        used = 0.0
        for word in block.words():
            if word == [BREAK]:
                lines.append([])
                used = 0.0
                continue
            w = sum(measure(style, text) for style, text in word)
            if lines[-1] and used + space + w > width:
                lines.append([])
                used = 0.0
            used += (space if lines[-1] else 0.0) + w
            lines[-1].append(word)
        if block.heading and self.get_y() + 3 * height > self.page_break_trigger:
            self.add_page()
        self.ln(1.5 if block.heading else 0)
        margin, self.c_margin = self.c_margin, 0  # segments side by side, no padding between
        for number, line in enumerate(lines):
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
            if number == 0 and block.prefix:
                self.set_font("Helvetica", "", size)
                self.set_x(self.l_margin + indent)
                self.cell(5.0, height, block.prefix)
            self.set_x(left)
            for style, words in _segments(line):
                self.set_font("Helvetica", style, size)
                self.cell(measure(style, words) + 0.01, height, words)
            self.ln(height)
        self.c_margin = margin
        self.ln(0.6 if block.prefix else 1.6)

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


@dataclass
class Block:
    """A paragraph, a heading or a list item: runs of (style, text), a prefix (« • », « 2. »),
    a nesting level."""

    runs: list[tuple[str, str]] = field(default_factory=list)
    prefix: str = ""
    level: int = 0
    heading: bool = False

    def words(self) -> list[list[tuple[str, str]]]:
        """The block's words, each as its styled parts: « **les avantages**. » gives the word
        « avantages. » in two parts, bold then plain, never split by a space or a line break;
        `BREAK` forces a line break."""
        words: list[list[tuple[str, str]]] = []
        glued = False  # whether the next text continues the last word
        for style, text in self.runs:
            for n, part in enumerate(text.split("\n")):
                if n:
                    words.append([BREAK])
                    glued = False
                part = pdf_text(part)
                pieces = part.split()
                for i, piece in enumerate(pieces):
                    if i == 0 and glued and words and not part[0].isspace():
                        words[-1].append((style, piece))
                    else:
                        words.append([(style, piece)])
                if part:
                    glued = bool(pieces) and not part[-1].isspace()
        return words


BREAK = ("", "\n")


def _segments(line: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """A line's words as runs of one style each (one cell per run), a space between words."""
    segments: list[tuple[str, str]] = []
    for n, word in enumerate(line):
        for k, (style, text) in enumerate(word):
            space = " " if n and not k else ""
            if segments and segments[-1][0] == style:
                segments[-1] = (style, segments[-1][1] + space + text)
            else:
                if segments and space:
                    segments[-1] = (segments[-1][0], segments[-1][1] + space)
                segments.append((style, text))
    return segments


class _Blocks(HTMLParser):
    """The sanitised HTML of app.core.markdown.render as blocks of styled text (its tags only:
    anything else is read as text)."""

    _BLOCK_TAGS = {"p", "li", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: Block | None = None
        self.bold = 0
        self.italic = 0
        self.lists: list[list[int]] = []  # for each open list: [next number] (ol) or [] (ul)
        self.quote = 0
        self.pre = 0

    def _style(self) -> str:
        return ("B" if self.bold else "") + ("I" if self.italic or self.quote else "")

    def _open(self, prefix: str = "", heading: bool = False) -> None:
        self.current = Block(prefix=prefix, level=max(0, len(self.lists) - 1), heading=heading)
        self.blocks.append(self.current)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            counter = self.lists[-1] if self.lists else []
            prefix = f"{counter[0]}." if counter else "•"
            if counter:
                counter[0] += 1
            self._open(prefix=prefix)
        elif tag in ("h3", "h4", "h5", "h6"):
            self._open(heading=True)
            self.bold += 1
        elif tag in ("p", "tr", "pre"):
            if tag != "p" or self.current is None or self.current.runs or not self.current.prefix:
                self._open()
        elif tag == "blockquote":
            self.quote += 1
        elif tag in ("strong", "b", "th"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "br" and self.current is not None:
            self.current.runs.append((self._style(), "\n"))
        if tag in ("td", "th") and self.current is not None and self.current.runs:
            self.current.runs.append(("", " | "))
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.current = None
        elif tag in ("h3", "h4", "h5", "h6"):
            self.bold = max(0, self.bold - 1)
            self.current = None
        elif tag in ("strong", "b", "th"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif tag in self._BLOCK_TAGS:
            self.current = None
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if not self.pre:  # a newline in HTML is a space; a line break is <br>
            data = data.replace("\n", " ")
        if not data.strip() and (self.current is None or not self.current.runs):
            return
        if self.current is None:
            self._open()
        assert self.current is not None
        self.current.runs.append((self._style(), data))


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
