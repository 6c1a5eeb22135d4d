"""`npt diagnostic evaluate QUESTION=OPTION ...`: score answers with the grid."""
from __future__ import annotations

import json

from bot.cli.common import fail
from bot.diagnostic import AnswersError, GridError, evaluate, load_grid, result_message


def _diagnostic_evaluate(args) -> int:
    answers = {}
    for item in args.answers:
        question, sep, value = item.partition("=")
        if not sep or not question.strip():
            return fail(f"{item!r} is not QUESTION=OPTION (for example usage=3)")
        answers[question.strip()] = value.strip()
    try:
        result = evaluate(answers, load_grid(args.grid) if args.grid else None)
    except (AnswersError, GridError) as error:
        return fail(str(error))
    output = result.to_dict()
    output["message"] = result_message(result)
    print(json.dumps(output, ensure_ascii=False, indent=2))
    return 0


def add_commands(sub) -> None:
    diag = sub.add_parser("diagnostic", help="the diagnostic engine").add_subparsers(dest="diag", required=True)
    ev = diag.add_parser("evaluate", help="score answers given as QUESTION=OPTION")
    ev.add_argument("answers", nargs="+", metavar="QUESTION=OPTION")
    ev.add_argument("--grid", help="grid YAML (default: data/diagnostic.yml)")
    ev.set_defaults(func=_diagnostic_evaluate)
