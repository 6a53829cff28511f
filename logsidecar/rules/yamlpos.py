"""YAML to plain data, remembering where every key and value stands in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column


class YamlProblem(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


@dataclass
class Positions:
    """Where each path's key and value start. The root's value is at path ()."""

    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)

    def resolve(self, loc: Path) -> Path:
        """The longest prefix of `loc` that exists in the file (skipping validator-only parts)."""
        path: Path = ()
        for part in loc:
            candidate = (*path, part)
            if candidate in self.values:
                path = candidate
        return path

    def at(self, path: Path, at_key: bool = False) -> Position:
        path = self.resolve(path)
        if at_key and path in self.keys:
            return self.keys[path]
        return self.values.get(path, (1, 1))


_constructor = yaml.constructor.SafeConstructor()


def _mark(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, path: Path, pos: Positions) -> Any:
    pos.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(*_mark(key_node), "mapping keys must be plain scalars")
            key = _constructor.construct_object(key_node)
            if key == "<<":
                raise YamlProblem(*_mark(key_node), "YAML merge keys (<<) are not supported")
            if not isinstance(key, str | int | float | bool):
                key = str(key)
            if key in out:
                raise YamlProblem(*_mark(key_node), f"duplicate key {key!r}")
            sub = (*path, key)
            pos.keys[sub] = _mark(key_node)
            out[key] = _build(value_node, sub, pos)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), pos) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        value = _constructor.construct_object(node)
        if not isinstance(value, str | int | float | bool | None):
            return node.value  # dates and the like stay text
        return value
    raise YamlProblem(*_mark(node), "unsupported YAML node")


def load_yaml(text: str) -> tuple[Any, Positions]:
    """Parse one YAML document; raise YamlProblem (with position) when it is not valid."""
    pos = Positions()
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(line, col, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"invalid YAML: {exc}") from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None, pos
    if len(nodes) > 1:
        raise YamlProblem(*_mark(nodes[1]), "one YAML document per file, found more")
    return _build(nodes[0], (), pos), pos
