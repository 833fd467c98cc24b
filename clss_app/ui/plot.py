"""Plotly figures whose text comes from data (unit types, cities, projects) shown as text.

Plotly renders a subset of HTML in labels, legends and hovers, ``<a href>`` included: a unit type
named ``<a href="//ev.il">clk</a>`` became a live link on a dashboard's axis. Plotly decodes
entities when it draws, so escaped text shows exactly as typed.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go

# The trace attributes that carry data; templates (hovertemplate, texttemplate) are ours and keep
# their markup.
DATA_TEXT = ("x", "y", "text", "hovertext", "name", "labels", "customdata", "legendgroup")


def _escaped(value):
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    return value


def escape_data_text(fig: go.Figure) -> go.Figure:
    """``fig`` with every string of its traces' data escaped (in place; returned for chaining)."""
    for trace in fig.data:
        for key in DATA_TEXT:
            if key in trace and trace[key] is not None:
                value = trace[key]
                trace[key] = _escaped(list(value) if isinstance(value, tuple) else value)
    return fig
