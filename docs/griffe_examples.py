"""A griffe extension (mkdocstrings, see ``mkdocs.yml``): pplx docstrings title their
doctests ``Example:``, which Google style reads as an admonition; read it as the
``Examples:`` section, so the ``>>>`` lines render as code."""

from __future__ import annotations

import re

import griffe

_TITLE = re.compile(r"^(\s*)Example:\s*$", re.M)


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and "Example:" in docstring.value:
            docstring.value = _TITLE.sub(r"\1Examples:", docstring.value)
