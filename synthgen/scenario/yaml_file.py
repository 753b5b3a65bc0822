"""Reading a YAML file a user hands synthgen (a scenario, a storyline template) without trusting it.

PyYAML's safe loader constructs no Python objects, but it trusts the document's shape: a 545-byte "billion laughs"
(aliases of aliases) expands to a billion values, a value that is its own alias has no end, and nesting a few
hundred deep exhausts the stack. So the file is read with limits before anything walks it: its size, its depth
and its size once every alias is expanded (counted as the nodes are composed, so the count itself never expands
anything), and an alias may not refer to the value that holds it. A value that is not what it looks like (a
timestamp on 30 February, an integer of 5,000 digits) is kept as the text it was written as, for the schema to
refuse with the key's name and line. Every problem is a ScenarioError naming the file and line.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from synthgen.errors import Issue, ScenarioError

MAX_BYTES = 1_000_000
"""A scenario is a page or two of YAML; a megabyte is far beyond any real one."""
MAX_DEPTH = 24
"""Levels of nesting: the deepest key a scenario or template has is five levels down."""
MAX_VALUES = 100_000
"""Values in the document once every alias is expanded (a scenario has a few hundred)."""


@dataclass(frozen=True)
class Document:
    """A YAML file as composed (nodes with their lines) and as constructed (plain Python values)."""

    node: yaml.Node | None
    data: Any


class _Limited(yaml.SafeLoader):
    """The safe loader, counting what it composes and refusing what would not end or would not fit."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._open: set[str] = set()
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node): (values once expanded, depth once expanded)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent) and event.anchor in self._open:
            raise ComposerError(None, None, f"alias *{event.anchor} refers to the value that holds it", mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
        anchor = None if isinstance(event, yaml.AliasEvent) else event.anchor
        if anchor is not None:
            self._open.add(anchor)
        try:
            node: yaml.Node | None = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open.discard(anchor)
        assert node is not None  # (an event was there to compose)
        self._measure(node, mark)
        return node

    def _measure(self, node: yaml.Node, mark: Any) -> None:
        """Count the node's values and depth as if every alias in it were written out, from its children's counts."""
        if id(node) in self._sizes:  # an alias: already counted where its anchor was
            values, depth = self._sizes[id(node)]
        else:
            children: list[yaml.Node] = []
            if isinstance(node, yaml.MappingNode):
                children = [item for pair in node.value for item in pair]
            elif isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            sizes = [self._sizes.get(id(child), (1, 1)) for child in children]
            values = 1 + sum(size[0] for size in sizes)
            depth = 1 + max((size[1] for size in sizes), default=0)
            self._sizes[id(node)] = (values, depth)
        if values > MAX_VALUES:
            raise ComposerError(
                None, None, f"expands to more than {MAX_VALUES:,} values (aliases repeat too much)", mark
            )
        if depth + self._depth > MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep (through aliases)", mark)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, OverflowError, TypeError):
            if isinstance(node, yaml.ScalarNode):
                return node.value  # kept as written, for the schema to refuse by name
            raise ConstructorError(None, None, "holds a value that cannot be read", node.start_mark) from None


def read_text(path: Path | Traversable, file: str) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark) or UTF-16 with one, at most MAX_BYTES."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Issue(file, None, "", "scenario file not found")]) from None
    except OSError as error:
        raise ScenarioError([Issue(file, None, "", f"cannot be read ({error.strerror or error})")]) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError([Issue(file, None, "", f"is larger than a scenario can be ({MAX_BYTES:,} bytes at most)")])
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ScenarioError(
            [Issue(file, line, "", f"is not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8")]
        ) from None


def parse(text: str, file: str) -> Document:
    """Compose and construct one YAML document within the limits; a problem is a ScenarioError with its line."""
    loader: _Limited | None = None
    try:
        loader = _Limited(text)  # (its reader already refuses a character YAML does not allow)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "not valid YAML"
        raise ScenarioError([Issue(file, mark.line + 1 if mark else None, "", f"not valid YAML: {problem}")]) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow (a NUL, a control character)
        line = text[: error.position].count("\n") + 1
        character = chr(error.character) if isinstance(error.character, int) else error.character
        problem = f"character {character!r} is not allowed" if isinstance(character, str) else error.reason
        raise ScenarioError([Issue(file, line, "", f"not valid YAML: {problem}")]) from None
    except yaml.YAMLError as error:
        raise ScenarioError([Issue(file, None, "", f"not valid YAML: {error}")]) from None
    except (ValueError, OverflowError, TypeError, RecursionError) as error:
        raise ScenarioError([Issue(file, None, "", f"not valid YAML: {error}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(node, data)


def read(path: Path | Traversable, file: str) -> Document:
    """A YAML file read and parsed within the limits."""
    return parse(read_text(path, file), file)
