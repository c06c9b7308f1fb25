"""Code, model and data links read from a paper's own text: where a URL ends in prose, and what counts."""

from __future__ import annotations

import pytest

from papertide.code_links import MAX_LINKS, CodeLink, code_links


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("Code: https://github.com/hewei2001/ReachQA.", "https://github.com/hewei2001/ReachQA"),
        ("(CCI3.0)(https://huggingface.co/datasets/BAAI/CCI3-HQ), and", "https://huggingface.co/datasets/BAAI/CCI3-HQ"),
        ("see github.com/a/b-c; also", "https://github.com/a/b-c"),
        ("at \\url{https://www.GitHub.com/foo/my\\_repo}.", "https://github.com/foo/my_repo"),
        ("[https://gitlab.com/group/sub/project]", "https://gitlab.com/group/sub/project"),
        ("https://github.com/org/repo_(v2)!", "https://github.com/org/repo_(v2)"),
        ("http://huggingface.co/spaces/x/y?tab=readme", "https://huggingface.co/spaces/x/y?tab=readme"),
    ],
)
def test_a_url_ends_where_the_sentence_resumes(text: str, url: str) -> None:
    assert [link.url for link in code_links(None, text, None)] == [url]


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com",
        "https://github.com/ is where",
        "notgithub.com/a/b",
        "user@github.com/a",
        "https://example.org/github.com/a/b",
    ],
)
def test_other_text_names_no_link(text: str) -> None:
    assert code_links(None, text, None) == []


def test_the_source_link_comes_first_and_each_repository_once() -> None:
    links = code_links(
        "https://github.com/Org/Repo",
        "Code at https://github.com/org/repo/ and https://huggingface.co/org/model.",
        "Accepted at NeurIPS 2024; code: github.com/org/repo.git, data: https://gitlab.com/org/data",
    )
    assert links == [
        CodeLink("https://github.com/Org/Repo", "GitHub", "source"),
        CodeLink("https://huggingface.co/org/model", "Hugging Face", "abstract"),
        CodeLink("https://gitlab.com/org/data", "GitLab", "comments"),
    ]
    assert code_links("https://example.org/code", "", None) == [CodeLink("https://example.org/code", "Code", "source")]


def test_at_most_max_links() -> None:
    text = " ".join(f"https://github.com/org/repo{i}" for i in range(MAX_LINKS + 3))
    assert len(code_links(None, text, None)) == MAX_LINKS
