"""A small regular-expression engine whose running time is linear in its input.

``matches`` and ``split`` take patterns from pipeline authors. Python's ``re``
backtracks, so ``(a+)+$`` against thirty ``a`` and a ``b`` would stall a
workflow task for minutes, and ``re`` cannot be interrupted. This engine
compiles the pattern (see :mod:`regex_syntax` for what is accepted) to a
Thompson NFA and simulates it breadth-first (a "Pike VM"): every input
character advances each of at most ``len(program)`` threads once, so work is
bounded by ``len(input) * len(program)`` and charged to the expression's step
budget.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

from workflows.expressions.errors import SpelError
from workflows.expressions.limits import Budget
from workflows.expressions.regex_syntax import (
    LINE_TERMINATORS,
    RegexNode,
    is_word,
    parse_pattern,
)

__all__ = ["Regex", "compile_regex"]

# Instruction opcodes. Instructions are (opcode, a, b) tuples for speed.
_CHAR = 0  # a: CharTest; consumes one character
_SPLIT = 1  # a, b: targets; a is preferred
_JMP = 2  # a: target
_ASSERT = 3  # a: assertion name; consumes nothing
_MATCH = 4


@dataclass(frozen=True)
class Regex:
    """A compiled pattern. Immutable, so compiled patterns are cached and shared."""

    pattern: str
    program: tuple[tuple[int, object, object], ...]

    def fullmatch(self, text: str, budget: Budget) -> bool:
        """Whether the whole of ``text`` matches (Java's ``String.matches``)."""
        self._check_input(text, budget)
        n = len(text)
        threads: list[tuple[int, int]] = []
        self._add(threads, set(), 0, 0, text=text, pos=0)
        for pos in range(n + 1):
            budget.charge(1 + len(threads))
            following: list[tuple[int, int]] = []
            seen: set[int] = set()
            for pc, start in threads:
                op, test, _ = self.program[pc]
                if op == _MATCH:
                    if pos == n:
                        return True
                elif pos < n and test(text[pos]):  # type: ignore[operator]
                    self._add(following, seen, pc + 1, start, text=text, pos=pos + 1)
            if not following:
                return False
            threads = following
        return False

    def search(self, text: str, start: int, budget: Budget) -> tuple[int, int] | None:
        """The leftmost match at or after ``start``, as (start, end), or None.

        Among matches starting at the same place, the one a backtracking engine
        would find (greedy/lazy preference) wins, as in Java.
        """
        self._check_input(text, budget)
        n = len(text)
        threads: list[tuple[int, int]] = []
        seen: set[int] = set()
        found: tuple[int, int] | None = None
        for pos in range(start, n + 1):
            if found is None:
                # A new attempt starting here has the lowest priority.
                self._add(threads, seen, 0, pos, text=text, pos=pos)
            budget.charge(1 + len(threads))
            following: list[tuple[int, int]] = []
            seen = set()
            for pc, begin in threads:
                op, test, _ = self.program[pc]
                if op == _MATCH:
                    found = (begin, pos)
                    break  # threads after this one have lower priority
                if pos < n and test(text[pos]):  # type: ignore[operator]
                    self._add(following, seen, pc + 1, begin, text=text, pos=pos + 1)
            threads = following
            if found is not None and not threads:
                break
        return found

    def split(self, text: str, limit: int, budget: Budget) -> list[str]:
        """Java's ``String.split(regex, limit)``.

        A zero-width match at the start adds no leading empty string; with
        ``limit`` 0 trailing empty strings are dropped; with ``limit`` > 0 at
        most ``limit`` parts are made.
        """
        parts: list[str] = []
        index = 0
        pos = 0
        limited = limit > 0
        while pos <= len(text):
            found = self.search(text, pos, budget)
            if found is None:
                break
            begin, end = found
            if limited and len(parts) >= limit - 1:
                break
            if not (index == 0 and begin == 0 and end == 0):
                parts.append(text[index:begin])
                budget.collection(len(parts))
                index = end
            pos = end if end > begin else end + 1
        if index == 0 and not parts:
            return [text]
        parts.append(text[index:])
        if limit == 0:
            while parts and parts[-1] == "":
                parts.pop()
        return parts

    def _check_input(self, text: str, budget: Budget) -> None:
        if len(text) > budget.limits.max_regex_input:
            raise SpelError(
                f"text of {len(text):,} characters is too long to match against a "
                f"regular expression (limit {budget.limits.max_regex_input:,})"
            )

    def _add(
        self,
        threads: list[tuple[int, int]],
        seen: set[int],
        pc: int,
        start: int,
        *,
        text: str,
        pos: int,
    ) -> None:
        # Follows jumps, splits and assertions depth-first in priority order
        # (an explicit stack, not recursion); each instruction at most once
        # per position, which is what makes the simulation linear.
        stack = [pc]
        program = self.program
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op, a, b = program[pc]
            if op == _JMP:
                assert isinstance(a, int)
                stack.append(a)
            elif op == _SPLIT:
                assert isinstance(a, int) and isinstance(b, int)
                stack.append(b)
                stack.append(a)
            elif op == _ASSERT:
                assert isinstance(a, str)
                if _assertion_holds(a, text, pos):
                    stack.append(pc + 1)
            else:
                threads.append((pc, start))


def _assertion_holds(name: str, text: str, pos: int) -> bool:
    n = len(text)
    if name == "begin":
        return pos == 0
    if name == "end":
        return pos == n
    if name == "end_line":
        # Java's "$" and "\Z": the end, or just before a final line terminator.
        return pos == n or (pos == n - 1 and text[pos] in LINE_TERMINATORS)
    before = pos > 0 and is_word(text[pos - 1])
    after = pos < n and is_word(text[pos])
    return (before != after) if name == "word" else (before == after)


@functools.lru_cache(maxsize=512)
def compile_regex(pattern: str, max_length: int, max_program: int) -> Regex:
    """Compile ``pattern``; cached, since pipelines reuse a few patterns.

    Raises:
        SpelError: For a pattern that is too long, too big once expanded, malformed
            or uses an unsupported feature.
    """
    if len(pattern) > max_length:
        raise SpelError(
            f"regular expression of {len(pattern):,} characters exceeds the limit of {max_length:,}"
        )
    tree = parse_pattern(pattern)
    program: list[list[object]] = []
    _emit(tree, program, max_program)
    program.append([_MATCH, None, None])
    return Regex(pattern, tuple((cast(int, i[0]), i[1], i[2]) for i in program))


def _emit(node: RegexNode, program: list[list[object]], max_program: int) -> None:
    if len(program) > max_program:
        raise SpelError(
            f"regular expression expands to more than {max_program:,} instructions; "
            "use smaller repetition counts"
        )
    kind = node[0]
    if kind == "char":
        program.append([_CHAR, node[1], None])
    elif kind == "assert":
        program.append([_ASSERT, node[1], None])
    elif kind == "cat":
        for child in node[1]:  # type: ignore[attr-defined]
            _emit(child, program, max_program)
    elif kind == "alt":
        alternatives: list[RegexNode] = node[1]  # type: ignore[assignment]
        jumps: list[int] = []
        for alternative in alternatives[:-1]:
            split_at = len(program)
            program.append([_SPLIT, split_at + 1, None])
            _emit(alternative, program, max_program)
            jumps.append(len(program))
            program.append([_JMP, None, None])
            program[split_at][2] = len(program)
        _emit(alternatives[-1], program, max_program)
        for jump in jumps:
            program[jump][1] = len(program)
    else:  # "rep"
        _, child, low, high, greedy = node
        assert isinstance(low, int) and isinstance(child, tuple)
        for _ in range(low):
            _emit(child, program, max_program)
        if high is None:
            loop = len(program)
            program.append([_SPLIT, None, None])
            _emit(child, program, max_program)
            program.append([_JMP, loop, None])
            _set_split(program[loop], loop + 1, len(program), bool(greedy))
        else:
            assert isinstance(high, int)
            for _ in range(high - low):
                split_at = len(program)
                program.append([_SPLIT, None, None])
                _emit(child, program, max_program)
                _set_split(program[split_at], split_at + 1, len(program), bool(greedy))


def _set_split(instruction: list[object], body: int, after: int, greedy: bool) -> None:
    instruction[1], instruction[2] = (body, after) if greedy else (after, body)
