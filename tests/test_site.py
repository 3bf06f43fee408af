"""The documentation site, checked as a reader sees it.

The site is built with ``mkdocs build --strict`` (a broken link or reference fails) and
its pages are opened in headless Chromium over a local HTTP server. The server injects a
small script into every HTML page that records console errors, uncaught exceptions and
failed resource loads, and reports each image's load state; Chromium's ``--dump-dom``
returns the page with that report.

Fast tests build without running the gallery (cached pages where current, placeholders
otherwise); the slow test runs the gallery and checks every example page's figures.
Outside CI a missing mkdocs or chromium skips with the reason; in CI (``CI`` set) it fails.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHECK_SCRIPT = """<script>
window.__errors = [];
(function () {
  const original = console.error.bind(console);
  console.error = (...args) => {
    window.__errors.push(args.map(String).join(" "));
    original(...args);
  };
  window.addEventListener("error", (e) => {
    const what = e.message || (e.target && (e.target.src || e.target.href)) || "a resource";
    window.__errors.push("error: " + what);
  }, true);
  window.addEventListener("unhandledrejection",
    (e) => window.__errors.push("rejection: " + e.reason));
  window.addEventListener("load", () => setTimeout(() => {
    const images = [...document.images].filter((i) => i.closest("article"));
    const report = {
      errors: window.__errors,
      title: document.title,
      images: images.map((i) => ({
        src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0})),
    };
    const pre = document.createElement("pre");
    pre.id = "pplx-check";
    pre.textContent = JSON.stringify(report);
    document.body.appendChild(pre);
  }, 300));
})();
</script>"""


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _require(what: str, present: bool) -> None:
    if present:
        return
    reason = f"{what} is not installed (make test installs it: `make chromium`, docs extra)"
    if os.environ.get("CI"):
        pytest.fail(f"in CI: {reason}")
    pytest.skip(reason)


def _require_mkdocs() -> None:
    _require("mkdocs", importlib.util.find_spec("mkdocs") is not None)


@functools.cache
def _build(gallery: bool, site_dir: str) -> subprocess.CompletedProcess:
    return _load("docs_build", DOCS / "build.py").build(Path(site_dir), gallery=gallery)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site; HTML gets the check script; records every failed request."""

    failures: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def send_error(self, code, message=None, explain=None):
        if not self.path.endswith("favicon.ico"):
            self.failures.append(f"{code} {self.path}")
        super().send_error(code, message, explain)

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            body = path.read_text(encoding="utf-8").replace("<head>", "<head>" + CHECK_SCRIPT, 1)
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_GET()


class _Site:
    def __init__(self, site_dir: Path):
        handler = functools.partial(_Handler, directory=str(site_dir))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def open(self, page: str) -> tuple[str, dict, list[str]]:
        """(the page's DOM after scripts ran, the check report, failed requests)."""
        _Handler.failures = []
        cmd = [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=8000",
            "--dump-dom",
            self.url + page,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        match = re.search(r'<pre id="pplx-check">(.*?)</pre>', proc.stdout, re.S)
        assert match, f"{page}: no check report in the DOM (chromium: {proc.stderr[-800:]})"
        report = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
        return proc.stdout, report, list(_Handler.failures)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _site(tmp_path_factory, gallery: bool) -> Path:
    _require_mkdocs()
    site_dir = tmp_path_factory.mktemp("site_gallery" if gallery else "site")
    proc = _build(gallery, str(site_dir))
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-4000:]}"
    return site_dir


@pytest.fixture(scope="module")
def fast_site(tmp_path_factory):
    return _site(tmp_path_factory, gallery=False)


@pytest.fixture(scope="module")
def browser(fast_site):
    _require("chromium", _chromium() is not None)
    site = _Site(fast_site)
    yield site
    site.close()


def _assert_clean(page: str, report: dict, failures: list[str]) -> None:
    assert not report["errors"], f"{page}: console errors {report['errors']}"
    assert not failures, f"{page}: failed requests {failures}"


def test_home_renders(browser):
    dom, report, failures = browser.open("index.html")
    _assert_clean("index.html", report, failures)
    assert report["title"].startswith("pplx")
    assert "A model in ten lines" in dom and "<code>" in dom and "nuts" in dom


def test_api_page_lists_nuts(browser):
    dom, report, failures = browser.open("api/pplx/")
    _assert_clean("api/pplx/", report, failures)
    assert 'id="pplx.nuts"' in dom
    assert "Sample a model with NUTS" in dom  # the docstring is rendered


def test_gallery_index_lists_examples(browser):
    dom, report, failures = browser.open("gallery/")
    _assert_clean("gallery/", report, failures)
    examples = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    assert len(examples) >= 8
    for name in examples:
        assert f'href="{name}/"' in dom, f"gallery index does not link {name}"


def test_gallery_page_shows_its_figures_when_cached(browser):
    gallery = _load("docs_gallery", DOCS / "gallery.py")
    current = [p.stem for p in gallery.scripts() if gallery.cached(p)]
    if not current:
        pytest.skip("no example has a current gallery cache (make docs runs them)")
    page = f"gallery/{current[0]}/"
    _, report, failures = browser.open(page)
    _assert_clean(page, report, failures)
    assert report["images"] and all(i["ok"] for i in report["images"]), report["images"]


def test_api_reference_has_every_public_name(fast_site):
    import pplx.vi

    import pplx
    import pplx.distributions as dist

    expected = {
        "api/pplx": ["pplx." + n for n in pplx.__all__ if not n.startswith("_")],
        "api/infer": ["pplx.infer." + n for n in pplx.infer.__all__],
        "api/vi": ["pplx.vi." + n for n in pplx.vi.__all__],
        "api/distributions": ["pplx.distributions." + n for n in dist.__all__],
    }
    for page, names in expected.items():
        html = (fast_site / page / "index.html").read_text(encoding="utf-8")
        missing = [n for n in names if f'id="{n}"' not in html and f"({n[5:]}" not in html]
        assert not missing, f"{page} does not document {missing}"


def test_every_docs_page_is_in_the_site(fast_site):
    for md in DOCS.glob("*.md"):
        if md.name == "api.md":
            continue
        out = fast_site / ("index.html" if md.stem == "index" else f"{md.stem}/index.html")
        assert out.is_file(), f"docs/{md.name} is not in the built site"


def test_gallery_cache_follows_the_source(tmp_path, monkeypatch):
    gallery = _load("docs_gallery_cache", DOCS / "gallery.py")
    script = tmp_path / "demo.py"
    script.write_text('"""A demo.\n\nIt prints."""\nprint("hello from the demo")\n')
    monkeypatch.setattr(gallery, "CACHE", tmp_path / "cache")
    assert gallery.cached(script) is None
    meta = gallery.run(script)
    assert gallery.cached(script) == meta and meta["figures"] == []
    assert "hello from the demo" in gallery.page(script, meta)
    assert "Wall time" in gallery.page(script, meta)
    script.write_text(script.read_text() + "print(2)\n")
    assert gallery.cached(script) is None  # a changed source runs again
    assert "Not run in this build" in gallery.page(script, None)


@pytest.mark.slow
def test_gallery_pages_show_figures_and_wall_time(tmp_path_factory):
    site_dir = _site(tmp_path_factory, gallery=True)
    _require("chromium", _chromium() is not None)
    gallery = _load("docs_gallery_slow", DOCS / "gallery.py")
    site = _Site(site_dir)
    try:
        for path in gallery.scripts():
            page = f"gallery/{path.stem}/"
            dom, report, failures = site.open(page)
            _assert_clean(page, report, failures)
            assert report["images"], f"{page} shows no figure"
            assert all(i["ok"] for i in report["images"]), (page, report["images"])
            assert "Wall time:" in dom
    finally:
        site.close()


DOC_PAGES_FAST = ["concepts/models.md", "concepts/constraints.md"]
DOC_PAGES_SLOW = [
    "index.md",
    "concepts/shapes.md",
    "concepts/pure_core.md",
    "inference/modes.md",
    "inference/predictive.md",
    "numpyro_users.md",
]


def _run_page(page: str) -> None:
    text = (DOCS / page).read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert blocks, f"{page} has no python blocks"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, page, "exec"), namespace)


@pytest.mark.parametrize("page", DOC_PAGES_FAST)
def test_doc_page_runs(page, capsys):
    _run_page(page)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
@pytest.mark.parametrize("page", DOC_PAGES_SLOW)
def test_doc_page_runs_slow(page, capsys):
    _run_page(page)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
