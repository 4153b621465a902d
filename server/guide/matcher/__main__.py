"""`python -m server.guide.matcher explain TEXT…`: the evidence and the decision for each text."""

from __future__ import annotations

import argparse
import sys

from server.guide.knowledge import load_knowledge
from server.guide.matcher.explain import explain_lines
from server.guide.matcher.pipeline import Matcher


def main(argv: list[str] | None = None) -> int:
    """Entry point: explain one or more texts with the matcher the server builds."""
    parser = argparse.ArgumentParser(prog="python -m server.guide.matcher", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser("explain", help="print the evidence and the decision for each TEXT")
    explain.add_argument("texts", nargs="+", metavar="TEXT")
    args = parser.parse_args(argv)
    matcher = Matcher.from_knowledge(load_knowledge())
    for text in args.texts:
        print(f"text:       {text}")
        print("\n".join(explain_lines(matcher.trace(text))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
