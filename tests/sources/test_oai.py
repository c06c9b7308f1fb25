"""OAI-PMH harvesting against recorded arXiv responses served by a real local server.

The recorded ListRecords pages are single pages; paging tests add the ``<resumptionToken>``
element arXiv puts at the end of a page (OAI-PMH 2.0, section 3.5), and error tests use the
``<error code=...>`` response of section 3.6. The records themselves are always the recorded ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from papertide.errors import RecordError, SourceError
from papertide.ingest.sources.base import Checkpoint, Item
from papertide.ingest.sources.http import HttpClient
from papertide.ingest.sources.oai import OaiSource
from papertide.model import Paper, Version
from tests.sources.replay import FakeTime, RecordedServer, Reply, fixture_bytes

HEP_TH = fixture_bytes("oai-pmh", "arxiv-format", "arxiv-physics-hep-th.xml")
HEP_EX = fixture_bytes("oai-pmh", "arxiv-format", "arxiv-physics-hep-ex.xml")
RAW_RECORD = fixture_bytes("oai-pmh", "arxivraw-format", "GetRecord_arXivRaw_1304.4214.xml")
NO_NAMESPACE = fixture_bytes("oai-pmh", "arxiv-format", "sample_arxiv_record.xml")


def with_token(page: bytes, token: str, cursor: int = 0, size: int = 6) -> bytes:
    element = f'<resumptionToken cursor="{cursor}" completeListSize="{size}">{token}</resumptionToken>'
    return page.replace(b"</ListRecords>", element.encode() + b"\n</ListRecords>")


def oai_error(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
        "<responseDate>2017-12-14T12:56:31Z</responseDate>\n"
        '<request verb="ListRecords">http://export.arxiv.org/oai2</request>\n'
        f'<error code="{code}">{message}</error>\n'
        "</OAI-PMH>\n"
    ).encode()


class SavedCheckpoints:
    """What the store keeps between runs, reduced to the CheckpointReader protocol."""

    def __init__(self, saved: dict[str, str | None]) -> None:
        self.saved = saved

    def get_checkpoint(self, key: str) -> str | None:
        return self.saved.get(key)


def papers(items: list[Item]) -> list[Paper]:
    return [item for item in items if isinstance(item, Paper)]


def test_arxiv_format_page(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/oai2", Reply(HEP_TH))
    source = OaiSource(
        http, metadata_prefix="arXiv", set_spec="physics:hep-th", from_date=date(2017, 12, 14), base_url=url
    )

    items = list(source.items())

    assert server.requests[0].query == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "physics:hep-th",
        "from": "2017-12-14",
    }
    assert items[-1] == Checkpoint(source.checkpoint_key, None)
    found = papers(items)
    assert [p.id for p in found] == ["1412.8323", "1507.07790", "1607.01710"]
    first, second, third = found
    assert first.title.startswith("Toolbox for reconstructing quantum theory")
    assert first.authors == ["Philipp A Hoehn"]
    assert first.categories == ["quant-ph", "gr-qc", "hep-th", "math-ph", "math.MP", "physics.hist-ph"]
    assert first.submitted == datetime(2014, 12, 29, tzinfo=UTC)
    assert first.updated == datetime(2017, 12, 13, tzinfo=UTC)
    assert first.versions == [Version(1, datetime(2014, 12, 29, tzinfo=UTC))]
    assert first.abstract.startswith("We develop an operational approach")
    assert first.comments.startswith("78 pages, many figures")
    assert first.source == "oai"
    assert first.url_abs == "https://arxiv.org/abs/1412.8323"
    assert first.url_pdf == "https://arxiv.org/pdf/1412.8323"
    assert second.authors == ["Luis B. Castro", "Edilberto O. Silva"]
    assert second.doi == "10.1088/1751-8121/aa9c53"
    assert second.journal_ref == "J. Phys. A: Math. Theor. 51 (2018) 035201"
    assert third.authors[-1] == "C. A. S. Almeida"
    assert third.journal_ref is None


def test_arxiv_raw_versions(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/oai2", Reply(RAW_RECORD))

    [paper, checkpoint] = list(OaiSource(http, base_url=url).items())

    assert server.requests[0].query["metadataPrefix"] == "arXivRaw"
    assert checkpoint.value is None
    assert paper.id == "1304.4214"
    assert paper.version == 1
    assert paper.versions == [Version(1, datetime(2013, 4, 15, 19, 33, 21, tzinfo=UTC))]
    assert paper.submitted == paper.updated == datetime(2013, 4, 15, 19, 33, 21, tzinfo=UTC)
    assert paper.authors == ["Igor A. Zaliznyak", "John M. Tranquada"]
    assert paper.categories == ["cond-mat.str-el"]
    assert paper.title == "Neutron Scattering and Its Application to Strongly Correlated Systems"
    assert paper.comments.startswith('31 pages, chapter for "Strongly Correlated Systems')


def test_arxiv_raw_latest_version_wins(server: RecordedServer, http: HttpClient) -> None:
    # The same record after a revision: arXivRaw lists each version with its own <version> element.
    v2 = b'<version version="v2"><date>Tue, 21 May 2013 14:02:09 GMT</date><size>610kb</size></version>'
    revised = RAW_RECORD.replace(b"<title>", v2 + b"<title>")
    url = server.route("/oai2", Reply(revised))

    [paper, _] = list(OaiSource(http, base_url=url).items())

    assert paper.version == 2
    assert [v.number for v in paper.versions] == [1, 2]
    assert paper.submitted == datetime(2013, 4, 15, 19, 33, 21, tzinfo=UTC)
    assert paper.updated == datetime(2013, 5, 21, 14, 2, 9, tzinfo=UTC)


def test_record_without_arxiv_namespace_still_parses(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/oai2", Reply(NO_NAMESPACE))

    found = papers(list(OaiSource(http, metadata_prefix="arXiv", base_url=url).items()))

    assert len(found) == 12
    assert found[-1].id == "1808.04927"
    assert found[0].id == "1601.03238"
    assert found[0].authors[:2] == ["Planck Collaboration", "Jieci Wang"]
    assert found[0].doi == "10.1103/PhysRevD.93.016005"


def test_follows_resumption_tokens(server: RecordedServer, http: HttpClient, fake_time: FakeTime) -> None:
    last_page = with_token(HEP_EX, "", cursor=3)  # arXiv ends a list with an empty token element
    url = server.route("/oai2", Reply(with_token(HEP_TH, "6220813|1001")), Reply(last_page))
    source = OaiSource(http, metadata_prefix="arXiv", set_spec="physics:hep-th", base_url=url)
    key = source.checkpoint_key

    items = list(source.items())

    assert [type(item).__name__ for item in items] == ["Paper"] * 3 + ["Checkpoint"] + ["Paper"] * 3 + ["Checkpoint"]
    assert items[3] == Checkpoint(key, "6220813|1001")
    assert items[7] == Checkpoint(key, None)
    assert [p.id for p in papers(items)][3:] == ["1706.05371", "1706.09418", "1707.00874"]
    assert server.requests[1].query == {"verb": "ListRecords", "resumptionToken": "6220813|1001"}
    assert fake_time.sleeps == [3.0]  # arXiv's politeness interval between the two pages


def test_resumes_from_checkpoint_after_interruption(server: RecordedServer, http: HttpClient) -> None:
    def first_run(query: dict[str, str]) -> Reply:
        if "resumptionToken" in query:
            return Reply(b"temporarily broken", status=500)
        return Reply(with_token(HEP_TH, "6220813|1001"))

    url = server.route("/oai2", respond=first_run)
    saved: dict[str, str | None] = {}
    source = OaiSource(http, metadata_prefix="arXiv", base_url=url, checkpoints=SavedCheckpoints(saved))
    yielded: list[Item] = []
    with pytest.raises(SourceError, match="HTTP 500"):
        for item in source.items():
            yielded.append(item)
            if isinstance(item, Checkpoint):  # what the ingest pipeline commits
                saved[item.key] = item.value
    assert len(papers(yielded)) == 3
    assert saved == {source.checkpoint_key: "6220813|1001"}

    server.route("/oai2", Reply(HEP_EX))
    server.requests.clear()
    resumed = list(OaiSource(http, metadata_prefix="arXiv", base_url=url, checkpoints=SavedCheckpoints(saved)).items())

    assert server.requests[0].query == {"verb": "ListRecords", "resumptionToken": "6220813|1001"}
    assert [p.id for p in papers(resumed)] == ["1706.05371", "1706.09418", "1707.00874"]
    assert resumed[-1] == Checkpoint(source.checkpoint_key, None)


def test_checkpoint_key_depends_on_the_query(http: HttpClient) -> None:
    keys = {
        OaiSource(http).checkpoint_key,
        OaiSource(http, set_spec="cs").checkpoint_key,
        OaiSource(http, set_spec="cs", from_date=date(2024, 1, 1)).checkpoint_key,
        OaiSource(http, set_spec="cs", from_date=date(2024, 1, 1), until=date(2024, 2, 1)).checkpoint_key,
        OaiSource(http, metadata_prefix="arXiv").checkpoint_key,
        OaiSource(http, base_url="https://mirror.example.org/oai2").checkpoint_key,
    }
    assert len(keys) == 6
    assert OaiSource(http, set_spec="cs").checkpoint_key == OaiSource(http, set_spec="cs").checkpoint_key


def test_no_records_match_is_an_empty_harvest(server: RecordedServer, http: HttpClient) -> None:
    body = oai_error("noRecordsMatch", "The combination of the values of the from, until, set and metadataPrefix")
    url = server.route("/oai2", Reply(body))
    source = OaiSource(http, from_date=date(2030, 1, 1), base_url=url)

    assert list(source.items()) == [Checkpoint(source.checkpoint_key, None)]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("badResumptionToken", "The value of the resumptionToken argument is invalid or expired."),
        ("badArgument", "Illegal set value 'nonsense'"),
        ("cannotDisseminateFormat", "The metadata format identified by the value given is not supported."),
    ],
)
def test_oai_errors_become_source_errors(server: RecordedServer, http: HttpClient, code: str, message: str) -> None:
    url = server.route("/oai2", Reply(oai_error(code, message)))

    with pytest.raises(SourceError) as raised:
        list(OaiSource(http, base_url=url).items())

    assert code in raised.value.message
    assert message in raised.value.message


def test_deleted_records_are_skipped(server: RecordedServer, http: HttpClient) -> None:
    deleted = HEP_TH.replace(b"<header>", b'<header status="deleted">', 1)
    url = server.route("/oai2", Reply(deleted))

    found = papers(list(OaiSource(http, metadata_prefix="arXiv", base_url=url).items()))

    assert [p.id for p in found] == ["1507.07790", "1607.01710"]


def test_malformed_record_is_reported_and_harvest_continues(server: RecordedServer, http: HttpClient) -> None:
    start = HEP_TH.index(b"<title>Relativistic")
    end = HEP_TH.index(b"</title>", start) + len(b"</title>")
    untitled = HEP_TH[:start] + HEP_TH[end:]
    url = server.route("/oai2", Reply(untitled))

    items = list(OaiSource(http, metadata_prefix="arXiv", base_url=url).items())

    errors = [item for item in items if isinstance(item, RecordError)]
    assert [p.id for p in papers(items)] == ["1412.8323", "1607.01710"]
    assert len(errors) == 1
    assert errors[0].location == "oai:arXiv.org:1507.07790"
    assert errors[0].field == "title"
    assert isinstance(items[-1], Checkpoint)


def test_truncated_page_is_fetched_again(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/oai2", Reply(HEP_TH[:2000], truncate=True), Reply(HEP_TH))

    found = papers(list(OaiSource(http, metadata_prefix="arXiv", base_url=url).items()))

    assert len(found) == 3
    assert len(server.requests) == 2


def test_non_xml_answer_is_a_source_error(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/oai2", Reply(b"<html>Service temporarily unavailable"))

    with pytest.raises(SourceError, match="not XML"):
        list(OaiSource(http, base_url=url).items())


def test_unknown_metadata_prefix_is_refused(http: HttpClient) -> None:
    with pytest.raises(ValueError, match="metadata_prefix"):
        OaiSource(http, metadata_prefix="oai_dc")
