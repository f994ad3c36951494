"""The pull-request report of ``pulumi preview --json``: what each group's change will do."""

from .comment import render_json, render_markdown
from .report import FAIL_ON, PreviewError, Report, analyse, gate

__all__ = ["FAIL_ON", "PreviewError", "Report", "analyse", "gate", "render_json", "render_markdown"]
