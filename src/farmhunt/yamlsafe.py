"""The one YAML loader of farmhunt: safe, and bounded against alias expansion.

Rule files, configuration files and HR column maps come from outside (a shared rule
pack, a colleague's config). YAML aliases let a file of under a kilobyte describe a
structure of billions of nodes (the "billion laughs" bomb: each level lists the
previous level nine times): PyYAML builds it cheaply as shared references, and the
first walk over it (validation, stripping line numbers, printing) runs out of memory
or time. Every YAML farmhunt reads therefore goes through :class:`BoundedLoader`,
which counts the nodes of each document as it would be expanded and refuses a
document whose aliases multiply it beyond any honest use, or refer to themselves.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_EXPANDED_NODES = 100_000
"""A document's expanded size is refused above this many nodes *and* ...
(see :data:`MAX_EXPANSION`), so a large plain file (a long indicator list) is read."""

MAX_EXPANSION = 10
"""... above this many times the nodes the file actually writes. Anchors used for
their purpose (a shared list reused a few times) stay far below both bounds; the 824
bytes of a nine-level bomb expand to over a billion nodes."""


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses alias bombs and recursive aliases."""

    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None:
            _check_expansion(node)
        return node


def _check_expansion(root: yaml.Node) -> None:
    """Raise a ``ComposerError`` when ``root`` expands too far or contains itself.

    Sizes are memoised per node, so the check costs the file's own node count however
    far the aliases would expand.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise yaml.composer.ComposerError(
                None, None, "a YAML alias refers to the node that contains it", node.start_mark
            )
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            open_nodes.add(key)
            children = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [part for pair in node.value for part in pair]
            )
            for child in children:
                total += size(child)
                if total > MAX_EXPANDED_NODES and total > MAX_EXPANSION * max(len(sizes), 1):
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        f"YAML aliases expand this document past {MAX_EXPANDED_NODES:,} "
                        "nodes (an alias bomb?)",
                        node.start_mark,
                    )
            open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root)


def load(text: str, loader: type[BoundedLoader] = BoundedLoader) -> Any:
    """The single document of ``text`` (None when empty), read with ``loader``."""
    return yaml.load(text, Loader=loader)


def load_all(text: str, loader: type[BoundedLoader] = BoundedLoader) -> list[Any]:
    """Every document of ``text``, read with ``loader``."""
    return list(yaml.load_all(text, Loader=loader))
