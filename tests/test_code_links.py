"""Code, model and data links read from a paper's own text: where a URL ends in prose, and what counts."""

from __future__ import annotations

import pytest

from papertide.code_links import MAX_LINKS, CodeLink, code_links, found_in_words, is_web_address
from papertide.licences import licence_name


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


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("Project page: https://circle-lmm.github.io/.", "https://circle-lmm.github.io/"),
        ("see our project website at https://example.org/proj (with a demo)", "https://example.org/proj"),
        ("Demo at foo.github.io/bar, and more.", "https://foo.github.io/bar"),
        ("Homepage: https://www.cs.example.edu/~a/b.html;", "https://www.cs.example.edu/~a/b.html"),
    ],
)
def test_project_pages_are_github_io_sites_or_addresses_after_the_words(text: str, url: str) -> None:
    assert code_links(None, text, None) == [CodeLink(url, "Project page", "abstract", "project")]


@pytest.mark.parametrize(
    "text",
    ["the project page is soon.com", "results at https://example.org/table", "e.g. the homepage of arXiv.org",
     "project page: https://github.com/x"],
)  # fmt: skip
def test_other_addresses_are_no_project_page(text: str) -> None:
    assert [link for link in code_links(None, text, None) if link.kind == "project"] == []


def test_the_source_project_page_follows_its_repository_and_only_web_addresses_count() -> None:
    links = code_links("https://github.com/a/b", "", "Project page: https://a.github.io/b/", "https://a.github.io/b")
    assert links == [
        CodeLink("https://github.com/a/b", "GitHub", "source"),
        CodeLink("https://a.github.io/b", "Project page", "source", "project"),  # named again in the comments: once
    ]
    assert code_links("javascript:alert(1)", "", None, "data:text/html,<script>") == []
    assert not is_web_address("javascript:alert(1)") and is_web_address("HTTPS://example.org")


@pytest.mark.parametrize(
    ("found_in", "links_source", "words"),
    [("abstract", "hf-daily", "from the abstract"), ("comments", None, "from arXiv comments"),
     ("source", "hf-daily", "from Hugging Face"), ("source", "kaggle", "from the Kaggle arXiv snapshot"),
     ("source", "my-feed", "from the source (my-feed)"), ("source", None, "from the source")],
)  # fmt: skip
def test_each_link_says_where_it_came_from(found_in: str, links_source: str | None, words: str) -> None:
    assert found_in_words(CodeLink("https://github.com/a/b", "GitHub", found_in), links_source) == words


@pytest.mark.parametrize(
    ("url", "name"),
    [("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "arXiv non-exclusive licence to distribute"),
     ("http://creativecommons.org/licenses/by/4.0/", "CC BY 4.0"),
     ("https://creativecommons.org/licenses/by-nc-sa/3.0/", "CC BY-NC-SA 3.0"),
     ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0"),
     ("http://example.org/my-licence", "http://example.org/my-licence"), (None, None)],
)  # fmt: skip
def test_licences_are_named(url: str | None, name: str | None) -> None:
    assert licence_name(url) == name
