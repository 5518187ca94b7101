"""Tokenisation of AG News text: undo the corpus's escapes, lowercase, split words and punctuation."""
from __future__ import annotations

import html
import re

# AG News carries escapes from its HTML source: "#39;" for "'", " #36;" for "$", "quot;" for '"',
# "&lt;b&gt;" for tags, and literal backslashes where the source had line breaks ("dwindling\band").
_NUMERIC_ENTITY = re.compile(r"&?#(\d{1,7});")
_NAMED_ENTITY = re.compile(r"&?(quot|amp|lt|gt|apos|nbsp);", re.IGNORECASE)
_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">", "apos": "'", "nbsp": " "}
_ESCAPED_DOLLAR = re.compile(r"\\+\$")
_BACKSLASHES = re.compile(r"\\+")
_HTML_TAG = re.compile(r"<[^<>]{1,300}>")
# Words (letters/digits, with inner dots as in "u.s" or "3.5"), English clitics split off
# ("street's" -> "street", "'s"), and every other non-space character as its own token.
_TOKEN = re.compile(r"[^\W_]+(?:\.[^\W_]+)*|(?<=[^\W_])'(?:s|t|re|ve|ll|d|m)\b|[^\w\s]|_+")


def _numeric(match: re.Match) -> str:
    code = int(match.group(1))
    return chr(code) if 0 < code < 0x110000 else " "


def _unescaped(text: str) -> str:
    text = _NUMERIC_ENTITY.sub(_numeric, text)
    text = _NAMED_ENTITY.sub(lambda m: _NAMED[m.group(1).lower()], text)
    text = html.unescape(text)
    text = _ESCAPED_DOLLAR.sub("$", text)
    text = _BACKSLASHES.sub(" ", text)
    return _HTML_TAG.sub(" ", text)


def readable(text: str) -> str:
    """Return `text` as a person reads it: AG News escapes undone, HTML tags removed, spaces collapsed (case kept)."""
    return " ".join(_unescaped(text).split())


def normalise(text: str) -> str:
    """Return `text` with AG News escapes undone, HTML tags removed and lowercased."""
    return _unescaped(text).lower()


def tokenize(text: str) -> list[str]:
    """Return the lowercased word and punctuation tokens of one raw AG News text."""
    return _TOKEN.findall(normalise(text))
