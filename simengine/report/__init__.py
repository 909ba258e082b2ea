"""The planner report: one self-contained HTML page, and its charts as PNG/SVG for slides.

See ``docs/report.md`` for what the report shows and why its charts are drawn with
matplotlib.
"""

from .figures import report_figures, save_figures
from .html import build_report, write_report
from .labels import LANGUAGES, load_labels

__all__ = ["build_report", "write_report", "report_figures", "save_figures", "load_labels", "LANGUAGES"]
