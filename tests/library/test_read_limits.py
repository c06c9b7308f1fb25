"""Hostile uploads: the BibTeX and RIS readers stay within their limits in memory and time.

Issue 21: a 1 KB BibTeX file of doubling ``@string`` macros took 22.8 GB before the kernel killed
the server. The memory and time checks run the readers in a child process under ``resource``
limits (address space 1 GiB above what the child holds after its imports, a few CPU seconds):
the old readers died there (MemoryError, SIGXCPU), these answer with the error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertide.errors import RecordError, RecordTooLarge, TooLarge
from papertide.library.bibtex import bibtex_references, read_bibtex
from papertide.library.references import ReadLimits
from papertide.library.ris import ris_references


def doubling_macros(depth: int = 39) -> str:
    """The issue's file: a0 holds 10 x's, each a<n> is a<n-1> twice, and a title names the last."""
    lines = ["@string{a0={xxxxxxxxxx}}"]
    lines += [f"@string{{a{n} = a{n - 1} # a{n - 1}}}" for n in range(1, depth + 1)]
    return "\n".join([*lines, f"@misc{{k, title=a{depth}}}"]) + "\n"


ATTACK = doubling_macros()


def test_doubling_macros_are_refused_before_they_are_built() -> None:
    with pytest.raises(RecordTooLarge) as caught:
        read_bibtex(ATTACK, "attack.bib")
    error = caught.value
    assert error.status_code == 413
    assert error.message == (
        "attack.bib: line 9 (@string from line 9): field 'a8': expanding @string macros and '#' would build more "
        f"than {4 * len(ATTACK):,} characters from a file of {len(ATTACK):,}; the limit is 4 times the file's size"
    )


def test_one_value_over_the_limit_is_refused_naming_the_line_and_the_limit() -> None:
    limits = ReadLimits(max_value_chars=100)
    assert read_bibtex("@misc{k,\n title = {" + "x" * 100 + "}}", limits=limits)[0].fields["title"] == "x" * 100
    with pytest.raises(RecordTooLarge) as caught:
        read_bibtex("@misc{k,\n title = {" + "x" * 60 + "} # {" + "x" * 41 + "}}", "refs.bib", limits)
    assert caught.value.message == (
        "refs.bib: line 2 (entry 'k' from line 1): field 'title': the value would have more than 100 characters, "
        "the limit for one field (after @string macros and '#' are expanded)"
    )
    with pytest.raises(RecordTooLarge, match=r"line 2 .* field 'title': the value would have more than 100"):
        read_bibtex('@string{m = "' + "y" * 90 + '"}\n@misc{k, title = m # m}', "refs.bib", limits)


def test_braces_nest_at_most_32_deep() -> None:
    assert read_bibtex("@misc{k, title = " + "{" * 32 + "x" + "}" * 32 + "}")[0].fields["title"] == (
        "{" * 31 + "x" + "}" * 31
    )
    with pytest.raises(RecordError) as caught:
        read_bibtex("@misc{k,\n title = " + "{" * 33 + "x" + "}" * 33 + "}", "deep.bib")
    assert caught.value.status_code == 400
    assert caught.value.message == (
        "deep.bib: line 2 (entry 'k' from line 1): field 'title': braces nest more than 32 deep here (real files "
        "nest a few levels)"
    )
    with pytest.raises(RecordError, match=r"line 1 .* field 'title': braces nest more than 32 deep"):
        read_bibtex('@misc{k, title = "' + "{" * 32 + "}" * 32 + '"}')  # the quotes count as a level
    with pytest.raises(RecordError, match=r"^deep.bib: line 1: @comment: braces nest more than 32 deep"):
        read_bibtex("@comment{" + "{" * 40 + "}" * 40 + "}", "deep.bib")


def test_entries_are_counted_as_they_are_read() -> None:
    text = "".join(f"@misc{{k{n}, title = {{T{n}}}}}\n" for n in range(4))
    assert len(read_bibtex(text, limits=ReadLimits(max_entries=4))) == 4
    with pytest.raises(RecordTooLarge) as caught:
        read_bibtex(text, "many.bib", ReadLimits(max_entries=3))
    assert caught.value.status_code == 413
    assert caught.value.message == "many.bib: line 4: more than 3 entries; an import takes at most 3 (split the file)"


RIS_RECORD = "TY  - JOUR\nTI  - A title\nAB  - {abstract}\nER  - \n"


def test_a_ris_field_over_the_limit_is_refused_naming_its_line() -> None:
    limits = ReadLimits(max_value_chars=100)
    wrapped = "\n".join(["x" * 30] * 4)  # 4 lines of 30, joined by spaces: 123 characters
    with pytest.raises(RecordTooLarge) as caught:
        ris_references(RIS_RECORD.format(abstract=wrapped), "refs.ris", limits)
    assert caught.value.status_code == 413
    assert caught.value.message == (
        "refs.ris: line 3: field 'AB': the value has more than 100 characters, the limit for one field"
    )
    with pytest.raises(RecordTooLarge, match="line 2: field 'TI'"):
        ris_references("TY  - JOUR\nTI  - " + "t" * 101 + "\nER  - \n", "refs.ris", limits)
    (reference,) = ris_references(RIS_RECORD.format(abstract="\n".join(["x" * 30] * 3)), "refs.ris", limits)
    assert reference.title == "A title"


def test_ris_wrapped_lines_and_blank_lines_read_as_rispy_read_them() -> None:
    text = (
        "TY  - JOUR\nTI  - A title\n  wrapped over\n\n   three lines\nKW  - one\ntwo\nN1  - arXiv: 1706.03762\nER  - \n"
    )
    (reference,) = ris_references(text)
    assert reference.title == "A title wrapped over three lines"
    assert reference.arxiv_ids == ("1706.03762",)


# -- memory and time, in a child process under resource limits ---------------------------------------

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from papertide.library.imports import read_references
from papertide.library.references import ReadLimits

text = Path(sys.argv[1]).read_text()
page = resource.getpagesize()
held = int(Path("/proc/self/statm").read_text().split()[0]) * page
resource.setrlimit(resource.RLIMIT_AS, (held + (1 << 30), resource.RLIM_INFINITY))
used = resource.getrusage(resource.RUSAGE_SELF)
cpu = int(used.ru_utime + used.ru_stime) + int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
try:
    kind, references = read_references(text, sys.argv[2], ReadLimits())
    print(json.dumps({"read": len(references), "title_chars": sum(len(r.title) for r in references)}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "status": getattr(exc, "status_code", None), "message": str(exc)}))
"""


def read_in_a_bounded_child(tmp_path: Path, name: str, text: str, cpu_seconds: int = 20) -> dict:
    """What reading ``text`` answers in a child with 1 GiB more address space and ``cpu_seconds`` of CPU."""
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs Linux's /proc to measure the child's address space")
    path = tmp_path / name
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), name, str(cpu_seconds)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"the child died ({done.returncode}): {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def test_the_issues_upload_is_refused_within_a_memory_ceiling(tmp_path: Path) -> None:
    answer = read_in_a_bounded_child(tmp_path, "attack.bib", ATTACK)
    assert answer["error"] == "RecordTooLarge" and answer["status"] == 413
    assert "the limit is 4 times the file's size" in answer["message"]


FIVE_MB = 5_000_000  # the import_max_bytes default
MATH_OPENERS = "\\(" * 33_000


@pytest.mark.parametrize(
    ("name", "text", "outcome"),
    [
        # An '@' on one long line: each one used to copy the line up to it (quadratic).
        ("ats.bib", "x" + "@" * FIVE_MB, "no entries"),
        # Titles of math openers never closed: the math pattern scanned to the end from each (quadratic).
        ("math.bib", "".join(f"@misc{{k{n}, title = {{{MATH_OPENERS}}}}}\n" for n in range(70)), "read"),
        # An abstract wrapped over 2.4 million lines: rispy joined each line onto the text so far (quadratic).
        ("wrapped.ris", "TY  - JOUR\nTI  - T\nAB  - x\n" + "x\n" * 2_400_000 + "ER  - \n", "RecordTooLarge"),
        # An abstract followed by blank lines, each of which rispy appended to it.
        ("blank.ris", "TY  - JOUR\nTI  - T\nAB  - " + "x" * 99_000 + "\n" * 4_800_000 + "ER  - \n", "read"),
    ],
    ids=["at-signs", "math-openers", "wrapped-lines", "blank-lines"],
)
def test_files_at_the_size_limit_read_in_linear_time(tmp_path: Path, name: str, text: str, outcome: str) -> None:
    """Each file is about 5 MB, and read (or refused) within 20 CPU seconds; the old readers ran out of
    them on each (SIGXCPU)."""
    assert len(text) <= FIVE_MB + 100_000
    answer = read_in_a_bounded_child(tmp_path, name, text, cpu_seconds=20)
    if outcome == "read":
        assert answer["read"] >= 1, answer
    elif outcome == "no entries":
        assert answer["read"] == 0, answer
    else:
        assert answer["error"] == outcome and "field 'AB'" in answer["message"], answer


# -- properties: what a file can make the readers build --------------------------------------------

_NAMES = st.sampled_from(["a", "b", "c", "jan", "feb", "undefined"])
_TEXT = st.text(alphabet=st.sampled_from('xy {}\\$#@%"=,\n'), max_size=30)
_BALANCED = st.recursive(st.text(alphabet="xy $\\", max_size=10), lambda inner: inner.map(lambda t: "{" + t + "}"))
_PIECE = st.one_of(_NAMES, _BALANCED.map(lambda t: "{" + t + "}"), st.integers(0, 10**6).map(str))
_VALUE = st.lists(_PIECE, min_size=1, max_size=6).map(" # ".join)


@st.composite
def bibtex_files(draw: st.DrawFn) -> str:
    """@string chains (each may concatenate the ones before it), entries naming them, nested braces, noise."""
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["string", "entry", "noise"]))
        if kind == "string":
            parts.append(f"@string{{{draw(_NAMES)} = {draw(_VALUE)}}}\n")
        elif kind == "entry":
            fields = draw(st.lists(st.tuples(st.sampled_from(["title", "note", "eprint"]), _VALUE), max_size=4))
            body = "".join(f", {name} = {value}" for name, value in fields)
            parts.append(f"@misc{{k{len(parts)}{body}}}\n")
        else:
            parts.append(draw(_TEXT))
    return "".join(parts)


def built(entries) -> int:
    return sum(len(value) for entry in entries for value in entry.fields.values())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(bibtex_files())
def test_bibtex_builds_at_most_four_times_its_input(text: str) -> None:
    try:
        entries = read_bibtex(text)
    except RecordError:
        return  # refused, naming the line: nothing built
    assert built(entries) <= 4 * len(text)
    references = bibtex_references(text)
    assert sum(len(ref.title) for ref in references) <= 4 * len(text)


def test_a_chain_the_property_would_catch_is_refused() -> None:
    """The property above holds because of the limit, not for want of hostile examples."""
    text = "@string{a = {xxxxxxxx}}\n@string{b = a # a # a # a}\n@string{c = b # b # b # b # b # b # b # b}\n"
    text += "@misc{k, title = c # c}\n"
    with pytest.raises(RecordTooLarge, match="4 times the file's size"):
        read_bibtex(text)
    assert built(read_bibtex(text, limits=ReadLimits(expansion=100))) > 4 * len(text)


_RIS_LINE = st.one_of(
    st.tuples(st.sampled_from(["TI", "AB", "N1", "KW", "UR", "DO", "AU"]), st.text(max_size=40)).map(
        lambda tag_text: f"{tag_text[0]}  - {tag_text[1]}".replace("\n", " ").replace("\r", " ")
    ),
    st.text(alphabet="xy 1706.03762arXiv:", max_size=40),  # a wrapped line
    st.just(""),
)


@settings(max_examples=300)
@given(st.lists(st.lists(_RIS_LINE, max_size=8), max_size=6))
def test_ris_builds_no_more_than_its_input(records: list[list[str]]) -> None:
    text = "".join("TY  - JOUR\n" + "".join(line + "\n" for line in lines) + "ER  - \n" for lines in records)
    try:
        references = ris_references(text)
    except (RecordError, TooLarge):
        return
    assert len(references) == len(records)
    out = sum(len(ref.title) + len(ref.key) + sum(map(len, ref.arxiv_ids + ref.dois)) for ref in references)
    assert out <= len(text)
