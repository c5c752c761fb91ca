"""Judges decide candidates: ``offline`` (default, deterministic) and LLM-backed ones."""

from .base import JUDGES, Judge, JudgeItem, JudgeResult, check_grounded, make_judge, register_judge
from .offline import OfflineJudge

__all__ = ["JUDGES", "Judge", "JudgeItem", "JudgeResult", "OfflineJudge", "check_grounded", "make_judge",
           "register_judge"]
