"""A small repository for ``grove bench`` tests: real code, plus files Grove must never send.

:func:`make_repo` writes it under a directory and returns the markers that appear only in the
files that must never become tasks nor reach a model: an ignored file and an ignored directory
(``.gitignore``), secret files (``.env``, ``secrets.py``, ``credentials.js``), a directory the
tests exclude with ``grove.context.exclude`` (``vendor/``), a binary file, a file over 1 MB, a
minified file, and a virtual environment.
"""

from __future__ import annotations

from pathlib import Path

EXCLUDE = "vendor/**"
"""The ``grove.context.exclude`` glob the tests pass."""

GEOMETRY = '''"""Shapes and distances."""

import math

from ignored import scale_factor
from secrets import token_hint


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y

    def distance_to(self, other: "Point") -> float:
        dx = other.x - self.x
        dy = other.y - self.y
        return math.hypot(dx, dy)

    def scaled(self, factor: float) -> "Point":
        return Point(self.x * factor * scale_factor(), self.y * factor)


def perimeter(points: list[Point]) -> float:
    total = 0.0
    for index, point in enumerate(points):
        following = points[(index + 1) % len(points)]
        total += point.distance_to(following)
    return total


def bounding_box(points: list[Point]) -> tuple[float, float, float, float]:
    if not points:
        raise ValueError("bounding_box needs at least one point")
    xs = [point.x for point in points]
    ys = [point.y for point in points]
    return min(xs), min(ys), max(xs), max(ys)


def centroid(points: list[Point]) -> Point:
    count = len(points)
    if count == 0:
        raise ValueError("centroid of no points")
    sum_x = sum(point.x for point in points)
    sum_y = sum(point.y for point in points)
    return Point(sum_x / count, sum_y / count)


def describe(point: Point) -> str:
    label = token_hint()
    while len(label) < 8:
        label = label + "-"
    return f"{label}: ({point.x:.2f}, {point.y:.2f})"
'''

TEXT_TOOLS = '''"""Small text helpers."""

import re
import textwrap

WORD = re.compile(r"[A-Za-z']+")


def word_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in WORD.findall(text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text: str, limit: int = 3) -> list[str]:
    counts = word_counts(text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:limit]]


def wrap_paragraphs(text: str, width: int = 72) -> str:
    paragraphs = [p.strip() for p in text.split("\\n\\n") if p.strip()]
    wrapped = [textwrap.fill(paragraph, width=width) for paragraph in paragraphs]
    return "\\n\\n".join(wrapped)


def slugify(title: str) -> str:
    lowered = title.strip().lower()
    if not lowered:
        return "untitled"
    collapsed = re.sub(r"[^a-z0-9]+", "-", lowered)
    return collapsed.strip("-")


def initials(name: str) -> str:
    parts = [part for part in name.split() if part]
    letters = [part[0].upper() for part in parts]
    return "".join(letters)
'''

CART = """// A shopping cart.

function lineTotal(item) {
  const price = item.price * item.quantity;
  return Math.round(price * 100) / 100;
}

function cartTotal(items, discount) {
  let total = 0;
  for (const item of items) {
    total += lineTotal(item);
  }
  if (discount && discount.percent > 0) {
    total = total * (1 - discount.percent / 100);
  }
  return Math.max(total, 0);
}

function addItem(cart, product, quantity) {
  const existing = cart.items.find((item) => item.id === product.id);
  if (existing !== undefined) {
    existing.quantity += quantity;
    return cart;
  }
  cart.items.push({ id: product.id, price: product.price, quantity: quantity });
  return cart;
}

function removeItem(cart, productId) {
  const remaining = cart.items.filter((item) => item.id !== productId);
  return { ...cart, items: remaining };
}

module.exports = { lineTotal, cartTotal, addItem, removeItem };
"""

FORMAT = """// Formatting helpers for the shop pages.

function formatPrice(amount, currency) {
  const fixed = amount.toFixed(2);
  if (currency === "EUR") {
    return fixed.replace(".", ",") + " €";
  }
  return "$" + fixed;
}

function pluralize(count, singular, plural) {
  const word = count === 1 ? singular : plural;
  return String(count) + " " + word;
}

function shorten(text, limit) {
  if (text.length <= limit) {
    return text;
  }
  const cut = text.slice(0, Math.max(limit - 1, 0));
  return cut.trimEnd() + "…";
}

module.exports = { formatPrice, pluralize, shorten };
"""

MARKERS = {
    "ignored.py": "IGNORED_FILE_MARKER",
    "build/generated.py": "BUILD_DIRECTORY_MARKER",
    ".env": "ENV_FILE_MARKER",
    "secrets.py": "SECRETS_PY_MARKER",
    "credentials.js": "CREDENTIALS_JS_MARKER",
    "vendor/lib.py": "VENDOR_EXCLUDED_MARKER",
    "blob.py": "BINARY_FILE_MARKER",
    "huge.py": "HUGE_FILE_MARKER",
    "minified.js": "MINIFIED_FILE_MARKER",
    ".venv/lib/site.py": "VIRTUALENV_MARKER",
}
"""Path → a marker only that file holds."""

GOOD_FILES = ("app/geometry.py", "app/text_tools.py", "web/cart.js", "web/format.js")


def _python(marker: str) -> str:
    return (
        f"def {marker.lower()}(value):\n"
        f"    secret = '{marker}'\n"
        f"    if value > 10 and secret:\n"
        f"        return value * 2\n"
        f"    result = compute_{marker.lower()}(value, secret)\n"
        f"    return result\n"
        f"\n\ndef scale_factor():\n    return len('{marker}') / 10\n"
        f"\n\ndef token_hint():\n    return '{marker}'[:4]\n"
    )


def make_repo(root: Path) -> dict[str, str]:
    """Write the repository under ``root``; returns :data:`MARKERS`."""
    files = {
        ".gitignore": "ignored.py\nbuild/\n",
        "app/geometry.py": GEOMETRY,
        "app/text_tools.py": TEXT_TOOLS,
        "web/cart.js": CART,
        "web/format.js": FORMAT,
        "README.md": "# A shop\n",
        "ignored.py": _python(MARKERS["ignored.py"]),
        "build/generated.py": _python(MARKERS["build/generated.py"]),
        ".env": f"API_TOKEN=sk-{MARKERS['.env']}\n",
        "secrets.py": _python(MARKERS["secrets.py"]),
        "credentials.js": (
            f"function load() {{\n  const token = '{MARKERS['credentials.js']}';\n"
            "  if (token.length > 3) {\n    return token.slice(0, 3);\n  }\n  return token;\n}\n"
        ),
        "vendor/lib.py": _python(MARKERS["vendor/lib.py"]),
        "minified.js": "function m(a,b){if(a>b){return a}return b}" * 30
        + f"// {MARKERS['minified.js']}\n",
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        ".venv/lib/site.py": _python(MARKERS[".venv/lib/site.py"]),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / ".git").mkdir(exist_ok=True)
    (root / "blob.py").write_bytes(
        b"\x00\x01\x02 binary " + _python(MARKERS["blob.py"]).encode() + b"\x00" * 64
    )
    huge = _python(MARKERS["huge.py"]) + "".join(
        f"VALUE_{i} = compute({i}, {i + 1})\n" for i in range(40_000)
    )
    (root / "huge.py").write_text(huge, encoding="utf-8")
    return dict(MARKERS)
