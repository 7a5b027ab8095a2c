"""Loading the triage graph: every kind of broken graph fails with a GraphError naming the
node; the shipped graph loads, asks every RF id of the clinical file, and its drawing is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.triage import graph as graph_module
from bot.triage.graph import GraphError, Level, load_graph, loads_graph, shipped_graph
from bot.triage.mermaid import render

ROOT = Path(__file__).resolve().parent.parent
CLINICAL_SOURCES = ROOT / "docs" / "clinical-sources.md"

OUTCOMES = """
[outcomes.emergency]
level = "EMERGENCY"
headline = "Get emergency help now"
todo = [{ text = "Call {number}.", ids = ["RF-E"] }]
safety = [{ text = "Call again if worse.", ids = ["RF-E2"] }]

[outcomes.fine]
level = "SELF_CARE"
headline = "Self-care at home"
todo = [{ text = "Stretch.", ids = ["PREV-1"] }]
safety = [{ text = "Come back if it changes.", ids = ["RF-R3"] }]
"""

GOOD = """
start = "chest"
[questions.chest]
ask = "Chest pain?"
short = "Chest pain"
rf = ["RF-E8"]
yes = { next = "emergency", level = "EMERGENCY" }
no = { next = "numb" }

[questions.numb]
ask = "Numb legs?"
short = "Numbness"
rf = ["RF-E3"]
yes = { next = "emergency", level = "EMERGENCY" }
no = { next = "fine" }
""" + OUTCOMES


def _clinical_ids() -> set[str]:
    return set(re.findall(r"^- `([A-Z]+(?:-[A-Z0-9]+)*)`", CLINICAL_SOURCES.read_text(), re.M))


def test_a_good_inline_graph_loads() -> None:
    graph = loads_graph(GOOD)
    assert graph.question_order() == ["chest", "numb"]
    assert graph.longest_path() == 2
    assert graph.outcome_for(Level.EMERGENCY).id == "emergency"


@pytest.mark.parametrize(
    ("change", "node", "problem"),
    [
        pytest.param(('no = { next = "numb" }', 'no = { next = "nowhere" }'), "chest",
                     "leads to unknown node 'nowhere'", id="answer-to-unknown-node"),
        pytest.param(('start = "chest"', 'start = "nope"'), "nope", "start must be a question",
                     id="unknown-start"),
        pytest.param(('level = "SELF_CARE"\n', ""), "fine", "outcome without a level",
                     id="outcome-without-level"),
        pytest.param(('level = "SELF_CARE"', 'level = "FINE"'), "fine", "unknown level 'FINE'",
                     id="unknown-level"),
        pytest.param(('no = { next = "fine" }', 'no = { next = "chest" }'), "chest",
                     "cycle: chest -> numb -> chest", id="cycle"),
        pytest.param(('no = { next = "numb" }', 'no = { next = "fine" }'), "numb",
                     "unreachable from the start", id="unreachable-node"),
        pytest.param(('no = { next = "numb" }', 'no = { next = "numb", level = "ROUTINE" }'),
                     "chest", "'No' must not raise the level", id="no-raises-level"),
        pytest.param(('yes = { next = "emergency", level = "EMERGENCY" }\nno = { next = "numb" }',
                      'yes = { next = "numb", level = "EMERGENCY" }\nno = { next = "numb" }'),
                     "chest", "emergency: it must end the questions", id="emergency-continues"),
        pytest.param(('rf = ["RF-E8"]\n', ""), "chest", "'rf' must list the clinical ids",
                     id="question-without-rf"),
        pytest.param(('rf = ["RF-E8"]', 'rf = ["E8"]'), "chest", "unknown id format",
                     id="bad-rf-id"),
        pytest.param(('ids = ["PREV-1"]', "ids = []"), "fine", "'ids' must list the clinical ids",
                     id="outcome-line-without-ids"),
        pytest.param(('short = "Chest pain"', 'shortt = "Chest pain"'), "chest", "unknown keys",
                     id="typo-key"),
        pytest.param(('ask = "Chest pain?"', 'ask = "Self-care at home, or chest pain?"'),
                     "chest", "must not begin like an outcome", id="question-looks-like-outcome"),
        pytest.param(('no = { next = "numb" }\n', ""), "chest", "needs both 'yes' and 'no'",
                     id="missing-no"),
    ],
)
def test_each_kind_of_broken_graph_names_the_node(change: tuple[str, str], node: str,
                                                  problem: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(GraphError) as caught:
        loads_graph(GOOD.replace(old, new, 1))
    assert caught.value.node == node
    assert problem in str(caught.value)
    assert repr(node) in str(caught.value)


def test_level_drop_is_named() -> None:
    text = """
start = "walk"
[questions.walk]
ask = "Walk pain?"
short = "Walk pain"
rf = ["RF-U1"]
yes = { next = "numb", level = "URGENT" }
no = { next = "numb" }
[questions.numb]
ask = "Numb legs?"
short = "Numbness"
rf = ["RF-E3"]
yes = { next = "emergency", level = "EMERGENCY" }
no = { next = "fine" }
""" + OUTCOMES
    with pytest.raises(GraphError) as caught:
        loads_graph(text)
    assert caught.value.node == "walk"
    assert "reaches URGENT but can end at a SELF_CARE outcome" in str(caught.value)


def test_choice_questions_put_none_of_these_first() -> None:
    text = """
start = "which"
[questions.which]
ask = "Which fits?"
short = "Which"
rf = ["RF-E3"]
choices = [
  { id = "numb", label = "Numb legs", next = "emergency", level = "EMERGENCY" },
  { id = "none", label = "None of these", next = "fine" },
]
""" + OUTCOMES
    with pytest.raises(GraphError, match="first choice must be 'None of these'") as caught:
        loads_graph(text)
    assert caught.value.node == "which"
    fixed = text.replace(
        '  { id = "numb", label = "Numb legs", next = "emergency", level = "EMERGENCY" },\n'
        '  { id = "none", label = "None of these", next = "fine" },',
        '  { id = "none", label = "None of these", next = "fine" },\n'
        '  { id = "numb", label = "Numb legs", next = "emergency", level = "EMERGENCY" },')
    assert loads_graph(fixed).questions["which"].options[0].label == "None of these"


def test_not_toml_is_a_graph_error() -> None:
    with pytest.raises(GraphError, match="not valid TOML"):
        loads_graph("start = ")


def test_load_graph_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace('no = { next = "fine" }', 'no = { next = "gone" }'))
    with pytest.raises(GraphError, match=r"node 'numb': .*'gone'.*\(in broken.toml\)"):
        load_graph(path)


# ----------------------------------------------------------------------- the shipped graph

def test_the_shipped_graph_asks_every_rf_id_of_the_clinical_file() -> None:
    rf_in_clinical_file = {i for i in _clinical_ids() if re.fullmatch(r"RF-[EUR]\d+", i)}
    assert len(rf_in_clinical_file) == 13 + 3 + 5  # RF-E1..13, RF-U1..3, RF-R1..5
    assert shipped_graph().rf_ids() == rf_in_clinical_file


def test_the_shipped_graph_cites_only_ids_the_clinical_file_defines() -> None:
    unknown = shipped_graph().clinical_ids() - _clinical_ids()
    assert not unknown, f"cited but not in docs/clinical-sources.md: {sorted(unknown)}"


def test_the_shipped_graph_asks_emergency_signs_first_then_urgent_then_routine() -> None:
    graph = shipped_graph()
    rank = {"E": 0, "U": 1, "R": 2}
    ranks = [max(rank[rf[3]] for rf in graph.questions[q].rf) for q in graph.question_order()]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0 and ranks[-1] == 2


def test_the_shipped_outcomes_name_their_level_in_plain_words() -> None:
    graph = shipped_graph()
    headlines = {o.level: o.headline for o in graph.outcomes.values()}
    assert headlines == {
        Level.EMERGENCY: "Get emergency help now",
        Level.URGENT: "See a doctor within 48 hours",
        Level.ROUTINE: "Book an appointment with your doctor",
        Level.SELF_CARE: "Self-care at home",
    }
    for outcome in graph.outcomes.values():
        assert outcome.todo and outcome.safety


def test_the_all_no_path_takes_a_reasonable_number_of_taps() -> None:
    assert 8 <= shipped_graph().longest_path() <= 12


def test_the_committed_mermaid_drawing_is_current() -> None:
    committed = (ROOT / "docs" / "triage.mmd").read_text()
    assert committed == render(shipped_graph()), (
        "docs/triage.mmd is stale: run python -m bot.triage.mermaid > docs/triage.mmd"
    )
    for node in shipped_graph().questions:
        assert f"{node} -- \"Yes" in committed


def test_a_broken_graph_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       settings) -> None:
    from bot.app import build_application
    from bot.handlers import triage as triage_handlers

    broken = tmp_path / "graph.toml"
    broken.write_text(graph_module.GRAPH_FILE.read_text().replace(
        'no = { next = "self_care" }', 'no = { next = "self_cair" }'))
    monkeypatch.setattr(graph_module, "GRAPH_FILE", broken)
    shipped_graph.cache_clear()
    triage_handlers.engine.cache_clear()
    try:
        with pytest.raises(GraphError, match=r"node 'feelings': .*'self_cair'"):
            build_application(settings)
    finally:
        monkeypatch.undo()
        shipped_graph.cache_clear()
        triage_handlers.engine.cache_clear()
    assert shipped_graph().start == "body_danger"
