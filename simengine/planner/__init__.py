"""The planner's what-if page (``simengine serve``): pick a baseline, add levers, compare packages.

A local web app on Starlette with htmx (shipped in ``static/``, no network): the server renders
HTML fragments from :func:`simengine.report.catalogue.lever_kinds` and
:func:`simengine.report.indicators.headline_indicators`, and every figure comes from
:func:`simengine.runner.run_scenario` on the scenario file the page offers for download.
"""

from .app import create_app, serve
from .workspace import Workspace

__all__ = ["create_app", "serve", "Workspace"]
