"""Printable PDF worksheets for the demo catalogue.

The demo supports are described in catalogue.yaml (title, intro, sections with
body text, blank ruled lines or a simple table) and rendered here with fpdf2,
so the repository holds no binary files and every support is a real document
an officer can print and use in an interview.

fpdf2's core fonts only cover latin-1 and no TTF font is guaranteed on the
machine, hence `_latin1`. The creation date is fixed so that the same spec
always gives the same bytes (stable checksums, idempotent seeding).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

FOOTER = (
    "Document de travail — n'y inscrivez aucune information permettant d'identifier une personne."
)
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)

_REPLACEMENTS = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2039": "<",
    "\u203a": ">",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u2026": "...",
    "\u2013": "-",
    "\u2014": "-",
    "\u2012": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2022": "-",
    "\u25cf": "-",
    "\u25a1": "[ ]",
    "\u2610": "[ ]",
    "\u2192": "->",
    "\u20ac": "EUR",
}

LINE_SPACING = 8  # mm between two ruled lines to write on
MARGIN = 18


def _latin1(text: object) -> str:
    """Map typographic characters to latin-1 equivalents and drop anything else."""
    s = "" if text is None else str(text)
    for src, dst in _REPLACEMENTS.items():
        s = s.replace(src, dst)
    return s.encode("latin-1", "ignore").decode("latin-1")


class _Worksheet(FPDF):
    def __init__(self, tool_title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.tool_title = _latin1(tool_title)

    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, _latin1(f"ROMIN — {self.tool_title}"), align="L")
        self.ln(7)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_draw_color(180, 180, 180)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.set_font("Helvetica", "I", 7.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, _latin1(FOOTER), align="L")
        self.set_x(-MARGIN - 20)
        self.cell(20, 5, f"{self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def _ruled_lines(pdf: _Worksheet, count: int) -> None:
    pdf.set_draw_color(170, 170, 170)
    for _ in range(count):
        if pdf.get_y() + LINE_SPACING > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y() + LINE_SPACING
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.set_y(y)
    pdf.ln(3)


def _table(pdf: _Worksheet, spec: dict) -> None:
    columns = [_latin1(c) for c in spec.get("columns") or []]
    rows = [[_latin1(c) for c in row] for row in spec.get("rows") or []]
    if not columns:
        return
    pdf.set_font("Helvetica", "", 9.5)
    pdf.set_draw_color(120, 120, 120)
    headings = FontFace(emphasis="BOLD", fill_color=(232, 238, 247))
    with pdf.table(
        line_height=6,
        text_align="LEFT",
        padding=2,
        headings_style=headings,
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for col in columns:
            head.cell(col)
        for values in rows:
            row = table.row()
            for i in range(len(columns)):
                value = values[i] if i < len(values) else ""
                # empty cells are left tall enough to write in
                row.cell(value if value else "\n\n")
    pdf.set_font("Helvetica", "", 10.5)
    pdf.ln(4)


def render_support_pdf(spec: dict, tool_title: str) -> bytes:
    """Render one support described in catalogue.yaml to the bytes of an A4 PDF."""
    pdf = _Worksheet(tool_title)
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(_latin1(spec.get("title") or tool_title))
    pdf.set_author("ROMIN")
    pdf.set_creator("ROMIN")
    pdf.set_lang("fr-FR")
    pdf.set_margins(MARGIN, 14, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, _latin1(spec.get("title") or tool_title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if spec.get("intro"):
        pdf.set_font("Helvetica", "", 10.5)
        pdf.multi_cell(0, 5.5, _latin1(spec["intro"]), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    for section in spec.get("sections") or []:
        if pdf.get_y() + 20 > pdf.page_break_trigger:
            pdf.add_page()
        if section.get("heading"):
            pdf.set_font("Helvetica", "B", 12)
            pdf.set_fill_color(232, 238, 247)
            pdf.multi_cell(
                0, 7, _latin1(section["heading"]), fill=True, new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(1.5)
        pdf.set_font("Helvetica", "", 10.5)
        if section.get("body"):
            pdf.multi_cell(
                0, 5.5, _latin1(str(section["body"]).strip()), new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(1.5)
        if section.get("table"):
            _table(pdf, section["table"])
        if section.get("lines"):
            _ruled_lines(pdf, int(section["lines"]))
        pdf.ln(2)

    return bytes(pdf.output())
