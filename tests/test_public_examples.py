"""Every public name has a docstring with an ``Example:`` section (run by test_doctests).

The names are every entry of ``pplx.__all__`` and, for the sub-namespaces it exports
(``pplx.infer``, ``pplx.vi``, ...), every name of their ``__all__`` (or, without one, the
public functions and classes the module defines). Nothing is skipped silently: the names
that still lack an example are listed in ``PENDING`` below, and the test fails both when
another name lacks one and when a pending name gains one (then strike it from the list).
"""

import inspect
import re
import types

import pplx

EXAMPLE = re.compile(r"^\s*Examples?:\s*$", re.M)

# data, not functions: nothing to give an example of
NOT_CALLABLE = {"__version__"}

# known gaps, by qualified name (a module's own docstring is the module's name)
PENDING: set[str] = set()


def _has_example(obj) -> bool:
    doc = inspect.getdoc(obj) or ""
    return bool(EXAMPLE.search(doc)) and ">>>" in doc


def _module_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    ]


def public_objects() -> dict[str, object]:
    """Qualified public name -> object, every name of ``pplx.__all__`` and below."""
    out = {}
    for name in pplx.__all__:
        if name in NOT_CALLABLE:
            continue
        obj = getattr(pplx, name)
        out[f"pplx.{name}"] = obj
        if isinstance(obj, types.ModuleType):
            out.update({f"pplx.{name}.{n}": getattr(obj, n) for n in _module_names(obj)})
    return out


def test_every_public_name_has_an_example():
    objects = public_objects()
    missing = {name for name, obj in objects.items() if not _has_example(obj)}
    assert not missing - PENDING, f"public names without an Example: {sorted(missing - PENDING)}"
    done = (PENDING & objects.keys()) - missing
    assert not done, f"these have an Example now, strike them from PENDING: {sorted(done)}"


def test_the_walk_sees_every_top_level_name_and_the_namespaces():
    names = public_objects()
    assert {f"pplx.{n}" for n in pplx.__all__} - names.keys() == {"pplx.__version__"}
    assert {"pplx.nuts", "pplx.infer.nuts_run", "pplx.vi.advi", "pplx.distributions.Normal"} <= set(
        names
    )
    assert not _has_example(lambda: None) and _has_example(pplx.nuts)  # the check can fail
