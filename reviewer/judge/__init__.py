"""Judges decide candidates: ``offline`` (default, deterministic) and LLM-backed ones."""

from .base import JUDGES, CoachNote, Judge, JudgeItem, JudgeResult, check_grounded, make_judge, register_judge
from .llm import CascadeJudge, LLMJudge
from .offline import OfflineJudge

__all__ = ["JUDGES", "CascadeJudge", "CoachNote", "Judge", "JudgeItem", "JudgeResult", "LLMJudge", "OfflineJudge",
           "check_grounded", "make_judge", "register_judge"]
