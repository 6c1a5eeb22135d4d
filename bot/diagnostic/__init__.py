"""The digital-fragility diagnostic: the grid (data), the answers, the scoring."""
from bot.diagnostic.answers import Understood, exact_option, understand
from bot.diagnostic.engine import (
    AnswersError,
    DiagnosticResult,
    applicable_questions,
    evaluate,
    next_question,
    result_message,
)
from bot.diagnostic.grid import Grid, GridError, Question, load_grid, parse_grid

__all__ = [
    "AnswersError", "DiagnosticResult", "Grid", "GridError", "Question", "Understood",
    "applicable_questions", "exact_option", "evaluate", "load_grid", "next_question", "parse_grid",
    "result_message", "understand",
]
