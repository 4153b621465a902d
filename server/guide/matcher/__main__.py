"""`python -m server.guide.matcher explain TEXT…` | `train [--check]`.

explain: the evidence of every layer, the vetoes and the decision for each text.
train: fit the ranker on `knowledge/training/` and the knowledge's phrasings, report its cross-validated
figures and write `knowledge/model/ranker.npz`; with --check, write nothing and exit 1 if the committed
artefact is not what the data trains.
"""

from __future__ import annotations

import argparse
import sys

from server.guide.knowledge import load_knowledge
from server.guide.matcher.explain import explain_lines
from server.guide.matcher.pipeline import Matcher


def _explain(texts: list[str]) -> int:
    matcher = Matcher.from_knowledge(load_knowledge())
    for text in texts:
        print(f"text:       {text}")
        print("\n".join(explain_lines(matcher.trace(text))))
    return 0


def _train(check: bool) -> int:
    from server.guide.matcher.ranker import MODEL_PATH, Model
    from server.guide.matcher.training import cross_validated_report, same_model, train

    knowledge = load_knowledge()
    trained = train(knowledge)
    rules = knowledge.matcher_rules.ranker
    assert rules is not None
    print(cross_validated_report(trained, rules))
    path = knowledge.root / MODEL_PATH
    if check:
        problem = same_model(Model.load(path), trained.model)
        print(problem or f"{path} is what the data trains")
        return 1 if problem else 0
    trained.model.save(path)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB, {len(trained.model.features)} text features)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m server.guide.matcher`."""
    parser = argparse.ArgumentParser(prog="python -m server.guide.matcher", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser("explain", help="print the evidence and the decision for each TEXT")
    explain.add_argument("texts", nargs="+", metavar="TEXT")
    train = commands.add_parser("train", help="train the ranker and write knowledge/model/ranker.npz")
    train.add_argument("--check", action="store_true", help="only check the committed artefact matches")
    args = parser.parse_args(argv)
    return _explain(args.texts) if args.command == "explain" else _train(args.check)


if __name__ == "__main__":
    sys.exit(main())
