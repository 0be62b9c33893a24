"""Upload progress on stderr: one line rewritten in place, per file and overall. Shown only when
stderr is a terminal; otherwise silent (the result lines on stdout tell what happened)."""

from __future__ import annotations

from typing import TextIO


def line(
    *, index: int, count: int, name: str, done: int, size: int, total_done: int, total: int
) -> str:
    """`[2/3] foo-1.0.whl  45% of 7.1 MiB | overall 23%`"""
    file_pct = 100 if size == 0 else done * 100 // size
    overall_pct = 100 if total == 0 else total_done * 100 // total
    return (
        f"[{index}/{count}] {name} {file_pct:3d}% of {size / 1024**2:.1f} MiB"
        f" | overall {overall_pct:3d}%"
    )


class Progress:
    def __init__(self, stream: TextIO | None, *, count: int, total: int) -> None:
        self.stream = stream
        self.count = count
        self.total = total
        self.total_done = 0
        self._index = 0
        self._name = ""
        self._size = 0
        self._done = 0

    @classmethod
    def for_terminal(cls, stream: TextIO, *, count: int, total: int) -> Progress:
        return cls(stream if stream.isatty() else None, count=count, total=total)

    def start(self, name: str, size: int) -> None:
        self._index += 1
        self._name, self._size, self._done = name, size, 0
        self._show()

    def advance(self, amount: int) -> None:
        self._done += amount
        self.total_done += amount
        self._show()

    def finish(self) -> None:
        if self.stream is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _show(self) -> None:
        if self.stream is None:
            return
        text = line(
            index=self._index,
            count=self.count,
            name=self._name,
            done=self._done,
            size=self._size,
            total_done=self.total_done,
            total=self.total,
        )
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
