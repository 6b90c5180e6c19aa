"""Text from agents and other replicas, made safe to print on a terminal.

Stored text may hold anything an agent printed: colour codes, a window-title escape, BEL, a
carriage return that overwrites the line, bidirectional overrides that reorder what is shown.
Printed raw, those act on the user's terminal. :func:`printable` neutralises them:

- complete escape sequences (CSI ``ESC [ … final``, OSC ``ESC ] … BEL/ST``, two-byte ``ESC x``)
  are removed: they are formatting or terminal commands, never content;
- every other C0 control and DEL becomes its visible Control Picture (``␀ ␇ ␛ ␡``), so the
  reader sees that something was there; newline and tab are kept (newline only when
  ``multiline``), and ``\\r\\n`` becomes ``\\n``;
- C1 controls (U+0080–U+009F, which some terminals obey as 8-bit escapes) and bidirectional
  overrides/isolates become U+FFFD.

:class:`SafeWriter` applies it to everything a CLI command writes (see ``cli.main``), so every
print path is covered, including ones added later. JSON output keeps its data exact instead:
:func:`json_escape` writes the characters JSON leaves raw (DEL, C1, bidi) as ``\\uXXXX``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement, erase
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window title, hyperlinks, clipboard
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS, SOS, PM, APC … ST
    r"|\x1b[ -/]*[0-~]"  # two-byte escapes (ESC c resets the terminal)
)
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_REPLACEMENT = "\ufffd"


def _table(multiline: bool) -> dict[int, str]:
    table = {code: chr(0x2400 + code) for code in range(0x20)}
    table[0x7F] = "\u2421"
    table.update({code: _REPLACEMENT for code in range(0x80, 0xA0)})
    table.update({ord(c): _REPLACEMENT for c in _BIDI})
    table.update({ord(c): _REPLACEMENT for c in ("\u2028", "\u2029")})
    del table[0x09]
    if multiline:
        del table[0x0A]
    return table


_MULTILINE = _table(True)
_SINGLE_LINE = _table(False)
_NEEDS_WORK = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")


def printable(text: str, *, multiline: bool = True) -> str:
    """``text`` with terminal controls removed or made visible (see the module doc)."""
    if not _NEEDS_WORK.search(text):
        return text
    text = _ESCAPE_SEQUENCE.sub("", text).replace("\r\n", "\n")
    return text.translate(_MULTILINE if multiline else _SINGLE_LINE)


_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029]")


def json_escape(encoded: str) -> str:
    """JSON text with the characters ``json.dumps(ensure_ascii=False)`` leaves raw escaped."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m[0]):04x}", encoded)


class SafeWriter:
    """A text stream that passes everything written through :func:`printable`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def safe_output(streams: Any) -> Iterator[None]:
    """Wrap ``streams.stdout`` and ``streams.stderr`` (the ``sys`` module) while a command runs."""
    saved = streams.stdout, streams.stderr
    streams.stdout, streams.stderr = SafeWriter(saved[0]), SafeWriter(saved[1])
    try:
        yield
    finally:
        if isinstance(streams.stdout, SafeWriter):
            streams.stdout = saved[0]
        if isinstance(streams.stderr, SafeWriter):
            streams.stderr = saved[1]
