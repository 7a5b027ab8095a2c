"""Draw the triage graph as a Mermaid flowchart (``docs/triage.mmd`` is this output).

    python -m bot.triage.mermaid > docs/triage.mmd

A test checks the committed file equals the output, so the drawing never goes stale.
"""

from __future__ import annotations

import sys

from bot.triage.graph import Graph, Level, shipped_graph

_CLASS = {
    Level.EMERGENCY: "fill:#fdd,stroke:#c00,stroke-width:2px",
    Level.URGENT: "fill:#fed,stroke:#d70",
    Level.ROUTINE: "fill:#ffd,stroke:#aa0",
    Level.SELF_CARE: "fill:#dfd,stroke:#070",
}


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def render(graph: Graph) -> str:
    """The Mermaid source for ``graph``: questions in asking order, then the outcomes."""
    lines = [
        "%% Generated from bot/triage/graph.toml by `python -m bot.triage.mermaid`; do not edit.",
        "flowchart TD",
    ]
    for number, node in enumerate(graph.question_order(), start=1):
        question = graph.questions[node]
        ids = ", ".join(question.rf)
        lines.append(f'    {node}{{"{number}. {_label(question.short)}<br/><small>{ids}</small>"}}')
        for option in question.options:
            reaches = f" ({option.level.name})" if option.level is not None else ""
            lines.append(f'    {node} -- "{_label(option.label)}{reaches}" --> {option.next}')
    for outcome in graph.outcomes.values():
        lines.append(f'    {outcome.id}(["{outcome.level.name}: {_label(outcome.headline)}"])')
        lines.append(f"    class {outcome.id} {outcome.level.name.lower()}")
    for level, style in _CLASS.items():
        lines.append(f"    classDef {level.name.lower()} {style}")
    return "\n".join(lines) + "\n"


def main() -> int:
    sys.stdout.write(render(shipped_graph()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
