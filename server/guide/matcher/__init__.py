"""Recognise which bundle (一件事) one line of everyday Chinese is about: an explicit, explainable pipeline.

`Matcher.match(text)` -> `MatchResult` (commit, clarify or none, with candidates); `Matcher.trace(text)`
keeps the evidence of every layer. `python -m server.guide.matcher explain TEXT` prints it.
"""

from server.guide.matcher.evidence import Candidate, Evidence, MatchResult, Trace
from server.guide.matcher.pipeline import Matcher

__all__ = ["Candidate", "Evidence", "MatchResult", "Matcher", "Trace"]
