"""The Korean edition uses the glossary's Korean terms.

``book/glossary.md`` is the term base: one Markdown table with the columns English | Korean | Lecture notes |
Definition | Introduced in. In the English and Korean cells, ``;`` separates accepted forms (the first Korean
form is the preferred one) and a parenthesis, as in "recurrent neural network (RNN)", is an abbreviation or
a qualifier that is not part of the term.

For every page of the book whose catalogue ``book/locales/ko/LC_MESSAGES/book/<page>.po`` exists, every
message whose English text contains an English term (whole words, case-insensitive, plural allowed; code
spans, math, role targets, link targets and quotations skipped) must have a Korean text that contains one of
the term's Korean forms (spaces ignored, so 결합확률분포 and 결합 확률 분포 are the same). The English may
follow in parentheses, 은닉 상태(hidden state). An empty or fuzzy translation of such a message is a
violation too: Sphinx shows the English there. Pages without a catalogue are skipped and listed.

``python tests/test_terms.py`` prints the whole report (every page, every violation) without pytest.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
GLOSSARY = BOOK / "glossary.md"
LOCALE = BOOK / "locales" / "ko" / "LC_MESSAGES" / "book"
COLUMNS = ["English", "Korean", "Lecture notes", "Definition", "Introduced in"]
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"


@dataclass(frozen=True)
class Term:
    english: tuple[str, ...]  # accepted English spellings, qualifiers removed
    korean: tuple[str, ...]  # accepted Korean forms, the preferred one first
    cells: tuple[str, ...]  # the row's cells, as written
    pattern: re.Pattern = field(compare=False, hash=False, repr=False)

    @property
    def name(self) -> str:
        return self.english[0]


def _split_cells(line: str) -> list[str]:
    line = line.strip()
    assert line.startswith("|") and line.endswith("|"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def _forms(cell: str) -> tuple[str, ...]:
    """The ';'-separated forms of a cell, without parentheses and backticks."""
    out = []
    for form in cell.split(";"):
        form = re.sub(r"\s*\([^)]*\)", "", form).replace("`", "").strip()
        if form:
            out.append(form)
    return tuple(out)


def _english_regex(form: str) -> str:
    words = re.split(r"[\s" + DASHES + r"-]+", form)
    parts = [re.escape(w) for w in words[:-1]]
    last = words[-1]
    if last.endswith("y") and len(last) > 2:
        parts.append(re.escape(last[:-1]) + "(?:y|ies)")
    else:
        parts.append(re.escape(last) + "(?:s|es)?")
    return r"(?<![\w])" + (r"[\s" + DASHES + r"-]+").join(parts) + r"(?![\w])"


def load_terms(path: Path = GLOSSARY) -> list[Term]:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|") and _split_cells(line) == COLUMNS)
    terms = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = _split_cells(line)
        assert len(cells) == len(COLUMNS), f"glossary row with {len(cells)} cells: {line}"
        english, korean = _forms(cells[0]), _forms(cells[1])
        pattern = re.compile("|".join(_english_regex(e) for e in english), re.IGNORECASE)
        terms.append(Term(english, korean, tuple(cells), pattern))
    return terms


# ---------------------------------------------------------------- what a message says, without its markup


def english_prose(text: str) -> str:
    """The prose of an English message: no math, code, role targets, link targets, quotations or HTML."""
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"(?<!\\)\$.+?(?<!\\)\$", " ", text, flags=re.S)
    # roles: {ref}`text <target>` keeps its text; {doc}`x`, {math}`x`, {cite:p}`x` keep nothing
    text = re.sub(r"\{[\w:.-]+\}`([^`<]*?)\s*<[^`>]*>`", r"\1", text)
    text = re.sub(r"\{[\w:.-]+\}`[^`]*`", " ", text)
    text = re.sub(r"``.*?``|`[^`]*`", " ", text, flags=re.S)
    text = re.sub(r"\\[a-zA-Z]+(\{[^{}]*\})?", " ", text)  # LaTeX outside $...$: a math block's body
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d", " ", text)  # quotations (of the notes) stay as quoted
    return text


# English phrases in which a term's word is not the term: "two products in sequence" is "one after another".
IDIOMS = {"sequence": re.compile(r"\bin sequence\b", re.IGNORECASE)}


def terms_in(prose: str, terms: list[Term]) -> list[Term]:
    """The terms that occur in the prose, not counting an occurrence inside a longer term's occurrence.

    "sequence models" asks for the Korean of "sequence model" (순차 모델 or 시퀀스 모델), not also for 시퀀스.
    """
    spans = {t: [m.span() for m in t.pattern.finditer(prose)] for t in terms}
    for t in terms:
        if t.name in IDIOMS:
            idioms = [m.span() for m in IDIOMS[t.name].finditer(prose)]
            spans[t] = [(b, e) for b, e in spans[t] if not any(i <= b < j for i, j in idioms)]
    found = []
    for t, own in spans.items():
        longer = [s for u, ss in spans.items() if u is not t for s in ss]
        if any(not any(a <= b and e <= f and f - a > e - b for a, f in longer) for b, e in own):
            found.append(t)
    return found


def _squash(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    return re.sub("[" + DASHES + "]", "-", text).lower()


@dataclass
class Violation:
    term: Term
    msgid: str
    msgstr: str
    why: str  # "missing term", "untranslated" or "fuzzy"

    def __str__(self) -> str:
        def short(s: str, at: int = 0, n: int = 110) -> str:
            s = " ".join(s.split())
            start = max(0, min(at - n // 3, len(s) - n))
            return ("…" if start else "") + s[start : start + n] + ("…" if start + n < len(s) else "")

        wanted = " | ".join(self.term.korean)
        flat = " ".join(english_prose(self.msgid).split())
        hit = self.term.pattern.search(flat)
        at = " ".join(self.msgid.split()).find(hit.group(0)) if hit else 0
        out = f"  [{self.why}] {self.term.name} -> {wanted}\n      en: {short(self.msgid, max(at, 0))}"
        if self.msgstr:
            out += f"\n      ko: {short(self.msgstr)}"
        return out


@dataclass
class PageReport:
    page: str
    messages: int = 0  # translatable messages in the catalogue
    with_terms: int = 0  # messages whose English contains a term
    violations: list[Violation] = field(default_factory=list)


def exempt_messages(terms: list[Term]) -> set[str]:
    """The glossary's English and Lecture notes cells: they are quoted as written, in any edition."""
    return {cell for t in terms for cell in (t.cells[0], t.cells[2])}


def check_catalogue(page: str, po_path: Path, terms: list[Term]) -> PageReport:
    report = PageReport(page)
    exempt = exempt_messages(terms)
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete or not entry.msgid:
            continue
        report.messages += 1
        if entry.msgid.strip() in exempt:
            continue
        found = terms_in(english_prose(entry.msgid), terms)
        if not found:
            continue
        report.with_terms += 1
        ko = _squash(entry.msgstr)
        ko_bare = _squash(re.sub(r"\([^()\uac00-\ud7a3]*\)", "", entry.msgstr))  # without "(English)"
        for term in found:
            if not entry.msgstr.strip():
                why = "untranslated"
            elif "fuzzy" in entry.flags:
                why = "fuzzy"
            elif not any(_squash(k) in ko or _squash(k) in ko_bare for k in term.korean):
                why = "missing term"
            else:
                continue
            report.violations.append(Violation(term, entry.msgid, entry.msgstr, why))
    return report


def book_pages() -> list[str]:
    return sorted(p.stem for p in BOOK.glob("*.md"))


def catalogue(page: str) -> Path:
    return LOCALE / f"{page}.po"


def full_report(terms: list[Term] | None = None) -> str:
    terms = terms or load_terms()
    lines = [f"term base: {len(terms)} terms from {GLOSSARY.relative_to(ROOT)}"]
    missing = [p for p in book_pages() if not catalogue(p).exists()]
    total = 0
    for page in book_pages():
        if page in missing:
            continue
        r = check_catalogue(page, catalogue(page), terms)
        total += len(r.violations)
        lines.append(f"{page}: {r.messages} messages, {r.with_terms} with terms, {len(r.violations)} violations")
        lines.extend(str(v) for v in r.violations)
    lines.append(f"no catalogue yet (skipped): {', '.join(missing) or 'none'}")
    lines.append(f"total violations: {total}")
    return "\n".join(lines)


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def terms() -> list[Term]:
    return load_terms()


def test_term_base_is_well_formed(terms):
    assert len(terms) >= 60
    seen: dict[str, str] = {}
    for t in terms:
        assert t.english and t.korean, f"row without an English or a Korean term: {t.cells}"
        assert t.cells[3], f"{t.name}: no definition"
        assert re.fullmatch(r"(\{(ref|doc)\}`[^`]+`(, )?)+", t.cells[4]), f"{t.name}: 'Introduced in' is not a link"
        for e in t.english:
            assert e.lower() not in seen, f"{e!r} is in two rows"
            seen[e.lower()] = t.name
        for k in t.korean:
            assert re.search(r"[\uac00-\ud7a3]|[A-Za-z]", k), f"{t.name}: empty Korean form {k!r}"


def test_term_base_links_point_at_existing_labels_and_pages(terms):
    labels = {m for p in BOOK.glob("*.md") for m in re.findall(r"^\((\S+)\)=$", p.read_text("utf-8"), re.M)}
    pages = set(book_pages())
    for t in terms:
        for role, target in re.findall(r"\{(ref|doc)\}`([^`]+)`", t.cells[4]):
            assert target in (labels if role == "ref" else pages), f"{t.name}: no {role} target {target!r}"


def test_term_matching_rules(terms):
    by_name = {t.name: t for t in terms}
    hs = by_name["hidden state"].pattern
    assert hs.search("the hidden states of the layer") and not hs.search("`hidden_state`")
    assert not hs.search(english_prose("the tensor `hidden state` and $hidden state$"))
    assert by_name["long-term dependency"].pattern.search("long term dependencies")
    assert by_name["encoder–decoder"].pattern.search("an encoder-decoder model")
    assert by_name["gate"].pattern.search("the gates") and not by_name["gate"].pattern.search("gated units")
    assert "gates" in english_prose("{ref}`the gates <ch5-gates>`")
    assert "gates" not in english_prose('the notes\' "four gates"')
    assert _squash("결합확률분포") == _squash("결합 확률 분포")


def test_a_missing_term_is_found_and_english_in_parentheses_is_allowed(terms, tmp_path):
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(
        polib.POEntry(
            msgid="The hidden state $h_t$ of the `hidden_state` tensor.", msgstr="텐서의 은닉 상태(hidden state) $h_t$."
        )
    )
    po.append(polib.POEntry(msgid="Use gradient clipping.", msgstr="그래디언트 클리핑(gradient clipping)을 쓴다."))
    po.append(polib.POEntry(msgid="Each time step.", msgstr=""))
    po.append(polib.POEntry(msgid="A forget gate.", msgstr="망각 게이트.", flags=["fuzzy"]))
    po.save(str(tmp_path / "x.po"))
    report = check_catalogue("x", tmp_path / "x.po", terms)
    assert report.with_terms == 4
    assert sorted((v.term.name, v.why) for v in report.violations) == [
        ("forget gate", "fuzzy"),  # and not "gate" too: it is inside "forget gate"
        ("gradient clipping", "missing term"),
        ("time step", "untranslated"),
    ]


@pytest.mark.parametrize("page", book_pages())
def test_korean_page_uses_glossary_terms(page, terms):
    po = catalogue(page)
    if not po.exists():
        pytest.skip(f"{po.relative_to(ROOT)} does not exist yet")
    report = check_catalogue(page, po, terms)
    summary = (
        f"{page}: {report.messages} messages, {report.with_terms} with glossary terms, "
        f"{len(report.violations)} violations"
    )
    print(summary)
    if report.violations:
        pytest.fail(summary + "\n" + "\n".join(str(v) for v in report.violations), pytrace=False)


if __name__ == "__main__":
    text = full_report()
    print(text)
    sys.exit(0 if text.endswith("total violations: 0") else 1)
