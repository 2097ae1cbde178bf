"""The ``grove bench`` plot: a self-contained SVG written by hand (no plotting library).

Owns :func:`svg`.  Two panels side by side: quality -- per variant, a bar of edit similarity and
one of exact match (both 0-100) -- and latency -- one bar per variant, its p50 in milliseconds.
Variants are lettered A, B, C... under the bars and named in a key below.  Every bar is a
``<rect class="bar …" data-variant="…">`` with a ``<title>`` (the value, as a tooltip).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["svg"]

_ES_COLOR = "#2e7d32"
_EM_COLOR = "#81c784"
_LATENCY_COLOR = "#1565c0"
_FONT = 'font-family="system-ui, sans-serif"'
_TOP, _PLOT_HEIGHT, _AXIS = 90, 200, 40
_CHAR_WIDTH = 7.0
"""Rough width of a 12 px character, to size the picture to its key."""
_QUALITY_GROUP, _LATENCY_GROUP = 84, 64


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _nice_maximum(value: float) -> float:
    """An axis maximum at or above ``value`` whose quarters are round numbers."""
    if value <= 0:
        return 4.0
    quarter = value / 4
    power = 10.0 ** math.floor(math.log10(quarter))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if quarter <= step * power:
            return 4 * step * power
    return 40.0 * power


def _text(
    x: float, y: float, content: str, anchor: str = "middle", size: int = 12, bold: bool = False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {_FONT} font-size="{size}"'
        f"{weight}>{escape(content)}</text>"
    )


def _bar(x: float, fraction: float, width: float, kind: str, variant: str, label: str) -> list[str]:
    """One bar, ``fraction`` (0..1) of the panel's height, its value printed above it."""
    height = max(0.0, min(fraction, 1.0)) * _PLOT_HEIGHT
    y = _TOP + _PLOT_HEIGHT - height
    return [
        f'<rect class="bar {kind}" data-variant={quoteattr(variant)} x="{x:.1f}" y="{y:.1f}" '
        f'width="{width:.1f}" height="{height:.1f}" fill="{_color(kind)}">'
        f"<title>{escape(variant)}: {escape(label)}</title></rect>",
        _text(x + width / 2, y - 4, label.split(" ")[-1], size=10),
    ]


def _color(kind: str) -> str:
    return {"es": _ES_COLOR, "em": _EM_COLOR}.get(kind, _LATENCY_COLOR)


def _axis(left: float, width: float, maximum: float) -> list[str]:
    """Horizontal grid lines with their values, and the baseline."""
    out = []
    for i in range(5):
        value = maximum * i / 4
        y = _TOP + _PLOT_HEIGHT - _PLOT_HEIGHT * i / 4
        out.append(
            f'<line x1="{left:.1f}" x2="{left + width:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#444" if i == 0 else "#ddd"}"/>'
        )
        out.append(_text(left - 6, y + 4, f"{value:g}", anchor="end", size=10))
    return out


def svg(summaries: Sequence[Mapping[str, Any]], title: str) -> str:
    """The plot of ``summaries`` (see :func:`server.bench.report.summarize`) as SVG text."""
    n = max(len(summaries), 1)
    quality_left = _AXIS + 10
    quality_width = max(200.0, n * _QUALITY_GROUP)
    latency_left = quality_left + quality_width + _AXIS + 30
    latency_width = max(160.0, n * _LATENCY_GROUP)
    keys = [
        f"{_letter(i)}  {row['variant']}"
        + (f" — {row['model']}" if row.get("model") else "")
        + f" (n={row['n']})"
        for i, row in enumerate(summaries)
    ]
    key_left = 20.0
    width = max(
        latency_left + latency_width + 20,
        key_left * 2 + _CHAR_WIDTH * max((len(k) for k in keys), default=0),
        key_left * 2 + _CHAR_WIDTH * 0.85 * len(title),
    )
    key_top = _TOP + _PLOT_HEIGHT + 44
    height = key_top + 18 * len(summaries) + 10
    latencies = [row["latency"]["p50_ms"] or 0.0 for row in summaries]
    latency_max = _nice_maximum(max(latencies, default=0.0))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
        _text(width / 2, 24, title, size=14, bold=True),
        _text(quality_left + quality_width / 2, _TOP - 40, "Quality (0-100)", bold=True),
        _text(latency_left + latency_width / 2, _TOP - 40, "Latency p50 (ms)", bold=True),
        *_axis(quality_left, quality_width, 100.0),
        *_axis(latency_left, latency_width, latency_max),
    ]
    for i, row in enumerate(summaries):
        name = str(row["variant"])
        group = quality_left + i * (quality_width / n)
        bar = min(30.0, quality_width / n / 3)
        x = group + (quality_width / n - 2 * bar) / 2
        es, em = float(row["edit_similarity"]), float(row["exact_match"])
        out += _bar(x, es / 100, bar, "es", name, f"edit similarity {es:g}")
        out += _bar(x + bar, em / 100, bar, "em", name, f"exact match % {em:g}")
        out.append(_text(group + quality_width / n / 2, _TOP + _PLOT_HEIGHT + 16, _letter(i)))
        slot = latency_width / n
        lat_bar = min(36.0, slot / 2)
        lx = latency_left + i * slot + (slot - lat_bar) / 2
        p50 = latencies[i]
        out += _bar(lx, p50 / latency_max, lat_bar, "latency", name, f"p50 ms {p50:.0f}")
        out.append(_text(latency_left + (i + 0.5) * slot, _TOP + _PLOT_HEIGHT + 16, _letter(i)))
    legend_y = _TOP - 28
    out += [
        f'<rect x="{quality_left:.1f}" y="{legend_y:.1f}" width="10" height="10" '
        f'fill="{_ES_COLOR}"/>',
        _text(quality_left + 14, legend_y + 9, "edit similarity", anchor="start"),
        f'<rect x="{quality_left + 110:.1f}" y="{legend_y:.1f}" width="10" height="10" '
        f'fill="{_EM_COLOR}"/>',
        _text(quality_left + 124, legend_y + 9, "exact match %", anchor="start"),
    ]
    for i, key in enumerate(keys):
        out.append(_text(key_left, key_top + 18 * i, key, anchor="start"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
