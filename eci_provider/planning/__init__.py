"""The decision: how to take the observed group to the desired one, as a pure function."""

from .planner import Applied, Change, Explanation, Plan, applied_record, inputs_plan, pinned, plan, region_move

__all__ = ["Applied", "Change", "Explanation", "Plan", "applied_record", "inputs_plan", "pinned", "plan", "region_move"]
