"""Reading the ``Example:`` section of a docstring: its doctest examples and the one-line
form the distributions page shows (helpers of ``build_distributions.py``)."""

from __future__ import annotations

import ast
import doctest
import re

NONE = "—"


def example_section(doc: str) -> str | None:
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"\s*Examples?:\s*", line):
            indent = len(line) - len(line.lstrip())
            body = []
            for later in lines[i + 1 :]:
                if later.strip() and len(later) - len(later.lstrip()) <= indent:
                    break
                body.append(later)
            return "\n".join(body)
    return None


def examples(doc: str) -> list[doctest.Example]:
    section = example_section(doc)
    if section is None:
        return []
    return doctest.DocTestParser().get_examples(section)


def one_line(text: str) -> str:
    if "\n" not in text.strip():
        return text.strip()
    text = re.sub(r"\s*\n\s*", " ", text.strip())
    return re.sub(r"([(\[{]) ", r"\1", re.sub(r",? ([)\]}])", r"\1", text))


def display(node: ast.expr, source: str) -> str:
    """Source of ``node``, with ``round(float(x), n)`` shown as ``x``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "round"
        and len(node.args) == 2
        and not node.keywords
        and isinstance(node.args[0], ast.Call)
        and isinstance(node.args[0].func, ast.Name)
        and node.args[0].func.id == "float"
        and len(node.args[0].args) == 1
    ):
        return display(node.args[0].args[0], source)
    if isinstance(node, ast.Tuple) and not ast.get_source_segment(source, node).startswith("("):
        return ", ".join(display(elt, source) for elt in node.elts)
    return one_line(ast.get_source_segment(source, node))


def code(text: str) -> str:
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def example_column(examples: list[doctest.Example]) -> str:
    shown = [ex for ex in examples if ex.want.strip()]
    if not shown:
        return NONE
    ex = shown[-1]
    source = ex.source.strip()
    try:
        tree = ast.parse(source, mode="eval")
        expr = display(tree.body, source)
    except SyntaxError:
        expr = one_line(source)
    want = " ".join(ex.want.split())
    return f"{code(expr)} gives {code(want)}"
