"""Triage ("Check my symptoms"): the question graph as data and a small pure engine.

``graph.toml`` holds the questions and outcomes; ``graph.py`` loads and validates it;
``engine.py`` walks it; ``mermaid.py`` draws it. No Telegram, no database here.
"""

from bot.triage.engine import Engine, EngineError, Progress, Step
from bot.triage.graph import Graph, GraphError, Level, Outcome, Question, load_graph, shipped_graph

__all__ = [
    "Engine",
    "EngineError",
    "Graph",
    "GraphError",
    "Level",
    "Outcome",
    "Progress",
    "Question",
    "Step",
    "load_graph",
    "shipped_graph",
]
