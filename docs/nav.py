"""The site's navigation, completed at build time (a mkdocs hook, see ``mkdocs.yml``).

- Pages named in ``mkdocs.yml`` but not written yet are dropped from the nav with a note
  (pages other work adds: a strict build must not fail because one is still missing).
- Top-level pages of ``docs/`` that the nav does not name are listed under "More topics",
  so a new page is reachable as soon as it exists.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("mkdocs.plugins.pplx.nav")
EXTRA_SECTION = "More topics"
# generated at build time by the other hooks: present in the nav although not on disk
GENERATED_PREFIXES = ("api/", "gallery/")
IGNORED = {"api.md"}  # the old generated reference, left in some checkouts


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip().strip("`")
    return path.stem.replace("_", " ").capitalize()


def _prune(items: list, docs: Path, named: set) -> list:
    kept = []
    for item in items:
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if isinstance(value, list):
                value = _prune(value, docs, named)
                if value:
                    kept.append({title: value})
                continue
            item_path = value
        else:
            title, item_path = None, item
        if "://" in item_path or item_path.startswith(GENERATED_PREFIXES):
            kept.append(item)
        elif (docs / item_path).is_file():
            named.add(item_path)
            kept.append(item)
        else:
            log.info("nav: %s (%s) is not written yet; left out of this build", item_path, title)
    return kept


def complete_nav(nav: list, docs: Path) -> list:
    """The nav without missing pages, with unlisted top-level pages under "More topics"."""
    named: set[str] = set()
    nav = _prune(nav, docs, named)
    extra = sorted(p for p in docs.glob("*.md") if p.name not in named | IGNORED)
    if extra:
        section = [{_title(p): p.name} for p in extra]
        position = next(
            (i for i, item in enumerate(nav) if isinstance(item, dict) and "Coming from" in item),
            len(nav),
        )
        nav.insert(position, {EXTRA_SECTION: section})
    return nav


def on_config(config):
    """mkdocs hook."""
    if config.nav:
        config.nav = complete_nav(list(config.nav), Path(config.docs_dir))
    return config
