"""The Python blocks of the user docs run as written (each page in one namespace)."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = ["pymc_users.md"]


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
@pytest.mark.parametrize("page", PAGES)
def test_doc_page_runs(page):
    text = (DOCS / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, f"{page} has no python blocks"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, f"{page}", "exec"), namespace)
