"""The model test's bookkeeping: files, generations, pieces, and the check of emitted lines."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field

PIECE = re.compile(r"p(\d{5})x*\Z")

Gen = tuple[int, int]  # (file key, generation)


@dataclass
class FileModel:
    key: int
    gen: int = 0
    copy_of: Gen | None = None  # a copytruncate copy: the generation it holds
    last_write: float = 0.0
    size: int = 0
    maybe_closed: bool = False  # its stream may have been closed (quiet for rotate_wait)

    @property
    def current(self) -> Gen:
        return (self.key, self.gen)


@dataclass
class Piece:
    text: str
    home: Gen  # the generation it was written into
    follows: int | None = None  # the unfinished piece this one continues
    must: bool = True  # False once it may rightly have been lost


@dataclass
class Committed:
    """What the last commit made durable, and what the model knew then."""

    state: str = "{}"  # to_state(), as JSON
    emitted: Counter[int] = field(default_factory=Counter)
    seen: set[Gen] = field(default_factory=set)
    seen_with_bytes: set[Gen] = field(default_factory=set)
    anchor: int | None = None  # the order number of app.log's generation then, if there was one


def check_line(pieces: list[Piece], emitted: Counter[int], line: str) -> None:
    """Count the pieces of one emitted line; fail on anything that was not written as it is."""
    tokens = line.split("+")
    continued = tokens[0] == "" and len(tokens) > 1
    if continued:
        tokens = tokens[1:]
    ids = []
    for token in tokens:
        m = PIECE.match(token)
        pid = int(m.group(1)) if m else -1
        assert m and pid < len(pieces) and pieces[pid].text == token, (
            f"emitted a line that was not written: {line!r}"
        )
        ids.append(pid)
    first = pieces[ids[0]]
    assert continued == (first.follows is not None), f"a '+' lost or invented: {line!r}"
    for a, b in itertools.pairwise(ids):
        assert pieces[b].follows == a, f"pieces of two lines glued together: {line!r}"
    for pid in ids:
        emitted[pid] += 1
        assert 1 == emitted[pid], f"piece emitted twice: {pieces[pid].text!r}"
