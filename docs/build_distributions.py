"""Build docs/distributions.md from the classes and docstrings of ``pplx.distributions``.

Usage::

    .venv/bin/python docs/build_distributions.py          # (re)write docs/distributions.md
    .venv/bin/python docs/build_distributions.py --check  # exit 1 if the page is stale

One table row per family in ``pplx.distributions.__all__``:

- Parameters: ``inspect.signature(cls.__init__)`` without ``self``.
- Support: a ``Support:`` line of the class docstring if there is one; otherwise the
  ``name`` of the ``support`` constraint of the instance the docstring's example builds
  (its code is run; no class is instantiated with made-up arguments).
- cdf / icdf: whether the class overrides ``Distribution.cdf`` / ``Distribution.icdf``.
- Summary: the first paragraph of the class docstring.
- Example: the last ``>>>`` statement of the ``Example:`` section that has an expected
  output, and that output (``round(float(x), n)`` is shown as ``x``).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import os
import re
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

jax.config.update("jax_enable_x64", False)

import pplx.distributions as dist  # noqa: E402
from pplx.distributions import constraints  # noqa: E402
from pplx.distributions.base import Distribution  # noqa: E402
from pplx.distributions.bijectors import Bijector  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_examples import code, example_column  # noqa: E402
from doc_examples import examples as parse_examples  # noqa: E402

OUT = Path(__file__).resolve().parent / "distributions.md"
COMMAND = ".venv/bin/python docs/build_distributions.py"

CONTINUOUS = "Continuous"
DISCRETE = "Discrete"
MULTIVARIATE = "Multivariate"
TIME_SERIES = "Time series"
COMBINATORS = "Combinators and improper priors"
SECTIONS = [CONTINUOUS, DISCRETE, MULTIVARIATE, TIME_SERIES, COMBINATORS]

# Defining module (last dotted component) -> section; prefixes end with "*".
MODULE_SECTIONS = {
    "timeseries": TIME_SERIES,
    "hmm": TIME_SERIES,
    "base": COMBINATORS,  # Independent, Expanded
    "combinators": COMBINATORS,
    "hurdle": COMBINATORS,
    "mixtures": COMBINATORS,
    "custom": COMBINATORS,
    "transformed": COMBINATORS,
    "improper": COMBINATORS,
    "multivariate*": MULTIVARIATE,
    "matrix": MULTIVARIATE,
    "car": MULTIVARIATE,
    "zero_sum": MULTIVARIATE,
    "discrete*": DISCRETE,
    "ordinal": DISCRETE,
}

INTRO = f"""\
# Distributions

Every family in `pplx.distributions`: constructor parameters, support, whether it has a
closed-form `cdf`/`icdf`, a summary and a one-line example. This page is generated from
the classes and their docstrings by `docs/build_distributions.py`; do not edit it by
hand. Regenerate it with

    {COMMAND}

and check that it is current with `{COMMAND} --check` (which
`tests/test_docs_distributions.py` runs).

Common interface (the `Distribution` base class): `batch_shape`, `event_shape`
(tuples), `support` (a constraint), `is_discrete`, `log_prob(value)` (`-inf` outside the
support, finite gradients inside), `sample(key, sample_shape=())`, `mean`, `variance`,
`shape(sample_shape)`, `to_event(n)`, `expand(batch_shape)`; `cdf`/`icdf` where closed
forms exist (the cdf / icdf column). Parameters broadcast together; concrete invalid
parameters raise `ValueError` naming the family and the parameter; nothing is checked
under `jax.jit`.

Unconstrained parametrisations come from `biject_to(constraint)`; discrete supports have
no bijector (integer latent sites need a Gibbs/Metropolis step).

Columns: Support is the `name` of the `support` constraint of the distribution that the
docstring example builds (parametrised constraints such as `interval` take their bounds
from the parameters; for families built from other distributions, constraints or
bijectors it is the example's support). Summary is the first paragraph of the class
docstring. Example is the last statement of the docstring's `Example:` (a doctest) with
its expected output, `round(float(x), n)` shown as `x`.
"""

NONE = "—"


# --------------------------------------------------------------------------- helpers


def _section_of(cls) -> str:
    module = cls.__module__.rsplit(".", 1)[-1]
    for key, section in MODULE_SECTIONS.items():
        if module == key or (key.endswith("*") and module.startswith(key[:-1])):
            return section
    # Unlisted module: discrete families by their class attribute, the rest continuous.
    return DISCRETE if inspect.getattr_static(cls, "is_discrete", False) is True else CONTINUOUS


def _own_doc(obj) -> str:
    # A class's own docstring: ``inspect.getdoc`` would fall back to a parent's.
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def _summary(doc: str) -> str:
    paragraph = doc.split("\n\n", 1)[0] if doc else ""
    return " ".join(paragraph.split()) or "(no docstring)"


def _overrides(cls, method: str) -> bool:
    for klass in cls.__mro__:
        if method in klass.__dict__:
            return klass is not Distribution and issubclass(klass, Distribution)
    return False


def _cdf_column(cls) -> str:
    names = [m for m in ("cdf", "icdf") if _overrides(cls, m)]
    return ", ".join(names) if names else NONE


def _support_from_doc(doc: str) -> str | None:
    match = re.search(r"^\s*Support:\s*(.+?)\s*$", doc, re.M)
    return match.group(1) if match else None


def _support_name(d) -> str:
    support = d.support
    name = getattr(support, "name", None)
    return name if isinstance(name, str) else repr(support)


def _signature(target) -> inspect.Signature:
    if inspect.isclass(target):
        sig = inspect.signature(target.__init__)
        params = list(sig.parameters.values())[1:]
        return sig.replace(parameters=params, return_annotation=inspect.Signature.empty)
    return inspect.signature(target).replace(return_annotation=inspect.Signature.empty)


def _parameters(target) -> str:
    return str(_signature(target))[1:-1]


def _structural(value) -> bool:
    """Whether a constructor argument carries a support: a distribution, a constraint
    or a bijector (or a list of them)."""
    if isinstance(value, Distribution | constraints.Constraint | Bijector):
        return True
    return isinstance(value, list | tuple) and any(_structural(v) for v in value)


def _constant_support(cls) -> bool:
    """Whether ``cls.support`` is just ``return constraints.<name>``."""
    for klass in cls.__mro__:
        if "support" in klass.__dict__:
            prop = klass.__dict__["support"]
            try:
                source = textwrap.dedent(inspect.getsource(getattr(prop, "fget", prop)))
                body = ast.parse(source).body[0].body
            except (OSError, TypeError, SyntaxError, IndexError, AttributeError):
                return False
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # docstring
            return (
                len(body) == 1
                and isinstance(body[0], ast.Return)
                and isinstance(body[0].value, ast.Attribute)
                and isinstance(body[0].value.value, ast.Name)
                and body[0].value.value.id == "constraints"
            )
    return False


def _depends_on(target, instance, call, namespace) -> list[str]:
    """The parameters of ``target`` given distributions, constraints or bijectors in
    the example, unless the support is a fixed constraint (so the support shown is the
    example's, not the family's)."""
    if _constant_support(type(instance)):
        return []
    names = list(_signature(target).parameters)
    if call is not None:
        try:
            args = [eval(compile(ast.Expression(a), "<arg>", "eval"), namespace) for a in call.args]
            kwargs = {
                k.arg: eval(compile(ast.Expression(k.value), "<arg>", "eval"), namespace)
                for k in call.keywords
            }
            bound = _signature(target).bind_partial(*args, **kwargs).arguments
            return [n for n in names if n in bound and _structural(bound[n])]
        except Exception:
            pass
    return [n for n in names if _structural(getattr(instance, n, None))]


def _calls_to(tree, target, namespace):
    """The calls in ``tree`` (outermost first) whose callee evaluates to ``target``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            try:
                func = eval(compile(ast.Expression(node.func), "<callee>", "eval"), namespace)
            except Exception:
                continue
            if func is target:
                yield node


def _eval_node(node, namespace):
    try:
        return eval(compile(ast.Expression(node), "<sub-expression>", "eval"), namespace)
    except Exception:
        return None


def _example_instance(target, examples):
    """Run the example code of ``target`` (a class or a factory function) and return
    ``(distribution, depends_on)``, or ``(None, [])``.

    Statements (imports, assignments, definitions) are executed in a namespace that has
    ``jax`` and ``jnp``; bare expressions are not.

    The distribution is the last one the example binds to a variable with a call to
    ``target`` (or, for a class, any instance of it); else the outermost call to
    ``target`` returning a distribution in the last statement that has one; else (for
    a class) a sub-expression of the last such statement that evaluates to an instance
    of it; else the last distribution bound to a variable.
    """
    is_class = inspect.isclass(target)
    namespace = {"jax": jax, "jnp": jnp, "__name__": f"_doc_{target.__name__}"}
    found = other = None
    statements = []
    for ex in examples:
        try:
            tree = ast.parse(ex.source)
            # Bare expressions only print a value (their sub-expressions are evaluated
            # below if need be): skipping them keeps sampling out of the build.
            run = ast.Module([s for s in tree.body if not isinstance(s, ast.Expr)], [])
            exec(compile(run, f"<{target.__name__} example>", "exec"), namespace)
        except Exception:
            break
        statements.append(tree)
        for stmt in tree.body:
            if not isinstance(stmt, ast.Assign):
                continue
            for t in stmt.targets:
                value = namespace.get(t.id) if isinstance(t, ast.Name) else None
                if not isinstance(value, Distribution):
                    continue
                call = next(_calls_to(ast.Expression(stmt.value), target, namespace), None)
                if call is stmt.value or (is_class and isinstance(value, target)):
                    found = (value, call if call is stmt.value else None)
                else:
                    other = (value, None)
    if found is None:
        for tree in reversed(statements):
            for call in _calls_to(tree, target, namespace):
                value = _eval_node(call, namespace)
                if isinstance(value, Distribution):
                    found = (value, call)
                    break
            if found is not None:
                break
    if found is None and is_class:
        for tree in reversed(statements):
            for node in ast.walk(tree):
                value = _eval_node(node, namespace) if isinstance(node, ast.Call) else None
                if isinstance(value, target):
                    found = (value, None)
                    break
            if found is not None:
                break
    if found is None and other is not None:
        return other[0], []
    if found is None:
        return None, []
    instance, call = found
    return instance, _depends_on(target, instance, call, namespace)


# --------------------------------------------------------------------------- render


def _families():
    """``[(target, [public names], example instance, depends_on)]`` in ``__all__`` order:
    the Distribution subclasses (aliases folded together) and the factory functions
    whose example returns a distribution (``Flat``, ...)."""
    rows: dict[object, list] = {}
    for name in dist.__all__:
        obj = getattr(dist, name)
        if obj in rows:
            rows[obj][1].append(name)
            continue
        if inspect.isclass(obj):
            if not issubclass(obj, Distribution) or obj is Distribution:
                continue
        elif not inspect.isfunction(obj):
            continue
        examples = parse_examples(_own_doc(obj))
        instance, depends = _example_instance(obj, examples)
        if not inspect.isclass(obj) and instance is None:
            continue  # biject_to and other helpers
        rows[obj] = [obj, [name], instance, depends]
    return list(rows.values())


def _family_row(target, names, instance, depends, notes: list[str]) -> list[str]:
    doc = _own_doc(target)
    if not doc:
        notes.append(f"{names[0]}: no docstring")
    examples = parse_examples(doc)
    if not examples:
        notes.append(f"{names[0]}: no Example")
    support = _support_from_doc(doc)
    if support is None and instance is not None:
        support = _support_name(instance)
        if depends:
            support += " in the example; depends on " + ", ".join(f"`{n}`" for n in depends)
    if support is None:
        notes.append(f"{names[0]}: support not found")
        support = "see docstring"
    label = f"`{names[0]}`"
    if len(names) > 1:
        label += " (alias " + ", ".join(f"`{n}`" for n in names[1:]) + ")"
    if inspect.isclass(target):
        cls = target
    else:
        cls = type(instance)
        label += f" (returns `{cls.__name__}`)"
    params = _parameters(target)
    return [
        label,
        code(params) if params else NONE,
        support.replace("|", "\\|"),
        _cdf_column(cls),
        _summary(doc).replace("|", "\\|"),
        example_column(examples),
    ]


def _constraint_names() -> list[str]:
    out = []
    for name in constraints.__all__:
        if name[:1].isupper():
            continue
        obj = getattr(constraints, name)
        if inspect.isclass(obj):
            params = list(inspect.signature(obj.__init__).parameters.values())[1:]
            args = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
            out.append(f"{name}({', '.join(args)})")
        else:
            out.append(name)
    return out


def _bijector_names() -> list[str]:
    return [
        name
        for name in dist.__all__
        if inspect.isclass(getattr(dist, name))
        and issubclass(getattr(dist, name), Bijector)
        and getattr(dist, name) is not Bijector
    ]


def render(notes: list[str] | None = None) -> str:
    """The text of docs/distributions.md."""
    notes = [] if notes is None else notes
    grouped: dict[str, list[list[str]]] = {s: [] for s in SECTIONS}
    for target, names, instance, depends in _families():
        grouped[_section_of(target)].append(_family_row(target, names, instance, depends, notes))
    lines = [INTRO]
    header = ["Family", "Parameters", "Support", "cdf / icdf", "Summary", "Example"]
    for section in SECTIONS:
        if not grouped[section]:
            continue
        lines += [f"## {section}", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(cells) + " |" for cells in grouped[section]]
        lines.append("")
    lines += [
        "## Constraints",
        "",
        "In `pplx.distributions.constraints`; parametrised ones are called with their bounds.",
        "",
        ", ".join(f"`{n}`" for n in _constraint_names()),
        "",
        "## Bijectors",
        "",
        "Subclasses of `Bijector`, in `pplx.distributions` (defined in"
        " `pplx.distributions.bijectors` and `pplx.distributions.bijectors_cholesky`);"
        " `biject_to(constraint)` picks one for a support.",
        "",
        ", ".join(f"`{n}`" for n in _bijector_names()),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if docs/distributions.md is not current"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list docstring gaps")
    args = parser.parse_args(argv)
    notes: list[str] = []
    text = render(notes)
    if args.verbose:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(),
                text.splitlines(),
                "docs/distributions.md (on disk)",
                "docs/distributions.md (generated)",
                lineterm="",
            )
            print("\n".join(list(diff)[:60]), file=sys.stderr)
            print(f"docs/distributions.md is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        print("docs/distributions.md is current")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(OUT.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
