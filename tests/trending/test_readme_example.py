"""The README's worked example is what the code computes: the table there is this test's output."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

from papertide.trending import Window
from tests.trending.world import World

README = Path(__file__).resolve().parents[2] / "README.md"
PAPERS = {  # name: (age, description)
    "B": (timedelta(days=5), "5 days old: 4 upvotes, Hugging Face 10 → 40, GitHub 100 → 300 stars"),
    "A": (timedelta(days=1), "1 day old: 12 upvotes"),
    "C": (timedelta(days=3000), "8 years old: 20 upvotes"),
    "D": (timedelta(days=2), "2 days old: 25 upvotes from accounts made that hour"),
}


def build_example(world: World) -> None:
    now = world.clock()
    for name, (age, _) in PAPERS.items():
        world.paper(name, age=age)
    established = world.users(20, prefix="old")
    for count, name in ((12, "A"), (4, "B"), (20, "C")):
        for voter in established[:count]:
            world.vote(voter, name)
    world.observe("B", "hf_upvotes", 10, now - timedelta(days=9))
    world.observe("B", "hf_upvotes", 40, now - timedelta(hours=3))
    world.observe("B", "github_stars", 100, now - timedelta(days=8))
    world.observe("B", "github_stars", 300, now - timedelta(hours=3))
    for n, voter in enumerate(world.users(25, age=timedelta(minutes=30), prefix="new")):
        world.vote(voter, "D", at=now - timedelta(minutes=30) + timedelta(seconds=20 * n))


def example_table(world: World) -> str:
    """The markdown table: our score against a gravity and a log-votes ranking of the same attention."""
    trending = world.trending()
    trending.refresh()
    items = trending.trending(Window.WEEK)
    hours = {name: age.total_seconds() / 3600 for name, (age, _) in PAPERS.items()}
    attention = {item.paper.paper_id: item.activity.attention(trending.params) for item in items}
    gravity = {name: a / (hours[name] + 2) ** 1.8 for name, a in attention.items()}  # Hacker News
    hot = {name: math.log10(a) - hours[name] / 12.5 for name, a in attention.items()}  # reddit: 10x per 12.5 h

    def rank(scores: dict[str, float], name: str) -> int:
        return sorted(scores, key=scores.get, reverse=True).index(name) + 1

    ours = {item.paper.paper_id: item.score for item in items}
    lines = [
        "| paper | attention this week | age factor | score | rank | gravity rank | log-votes rank |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in items:
        name = item.paper.paper_id
        lines.append(
            f"| {name}: {PAPERS[name][1]} | {attention[name]:.2f} | {item.score / attention[name]:.3f} "
            f"| {item.score:.2f} | {rank(ours, name)} | {rank(gravity, name)} | {rank(hot, name)} |"
        )
    return "\n".join(lines)


def test_the_readme_shows_the_worked_example_as_computed(database_url: str) -> None:
    world = World.create(database_url)
    build_example(world)
    table = example_table(world)
    assert table in README.read_text(), f"README.md's worked example should read:\n{table}"
