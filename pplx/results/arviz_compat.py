"""ArviZ 0.23 (``az.InferenceData``) and ArviZ 1.x (xarray's ``DataTree``) behind one API.

Every place in pplx that builds, reads or changes an ArviZ result goes through these
functions, so the rest of pplx does not know which ArviZ it runs with. The two differ in:

- building: 0.23's ``az.from_dict(posterior=..., sample_stats=..., ...)`` takes one
  keyword per group and one ``attrs`` for all of them; 1.x's ``az.from_dict(data)`` takes
  a dict of groups and ``attrs`` per group;
- listing groups: 0.23's ``idata.groups()`` is a method; 1.x's ``tree.groups`` is a tuple
  of paths that starts with the root ``"/"``;
- a group: 0.23's ``idata[name]`` is an ``xarray.Dataset``; 1.x's is a ``DataTree`` node
  (``.to_dataset()`` gives the Dataset);
- replacing a group: 0.23 sets an attribute, 1.x assigns an item.

Reading a variable (``idata.posterior["mu"].values``, ``.dims``, ``.sizes``) is the same
in both, and needs no helper.
"""

from __future__ import annotations

import warnings
from typing import Any

from pplx.results.prefetch import ARVIZ_REFACTOR_MESSAGE, wait_for_arviz


def import_arviz():
    """Import ArviZ without its "undergoing a major refactor" FutureWarning (that one only).

    Example:
        >>> az = import_arviz()
        >>> callable(az.from_dict)
        True
    """
    wait_for_arviz()  # an import started by prefetch_arviz (drivers) finishes first
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=ARVIZ_REFACTOR_MESSAGE, category=FutureWarning)
        import arviz as az
    return az


def arviz_major() -> int:
    """The major version of the installed ArviZ: 0 (InferenceData) or 1 (DataTree).

    Example:
        >>> arviz_major() in (0, 1)
        True
    """
    return int(import_arviz().__version__.split(".")[0])


def from_groups(
    groups: dict[str, dict[str, Any]],
    *,
    coords: dict | None = None,
    dims: dict | None = None,
    attrs: dict | None = None,
):
    """An ArviZ result from arrays by group: ``InferenceData`` (0.23) or ``DataTree`` (1.x).

    Args:
        groups: group name (``"posterior"``, ``"sample_stats"``, ``"observed_data"``, ...)
            -> variable name -> array; groups that are empty or None are left out.
            Sampled groups are shaped ``(chain, draw, *shape)``; ``*_data`` groups are not.
        coords: coordinate values by dimension name, on every group that has the dim.
        dims: variable name -> names of its dimensions after ``chain`` and ``draw``.
        attrs: attributes set on every group.

    Example:
        >>> import numpy as np
        >>> idata = from_groups(
        ...     {"posterior": {"theta": np.zeros((2, 5, 3))}, "observed_data": {"y": np.ones(3)},
        ...      "log_likelihood": {}},
        ...     coords={"school": ["a", "b", "c"]}, dims={"theta": ["school"], "y": ["school"]},
        ...     attrs={"sampler": "nuts"})
        >>> group_names(idata)
        ['posterior', 'observed_data']
        >>> idata.posterior["theta"].dims, idata.observed_data["school"].values.tolist()
        (('chain', 'draw', 'school'), ['a', 'b', 'c'])
        >>> idata.posterior.attrs["sampler"]
        'nuts'
    """
    az = import_arviz()
    kept = {name: dict(values) for name, values in groups.items() if values}
    options = {"coords": dict(coords) if coords else None, "dims": dict(dims or {})}
    if arviz_major() >= 1:
        per_group = {name: dict(attrs or {}) for name in kept}
        return az.from_dict(kept, attrs=per_group, **options)
    idata = az.from_dict(**kept, **options)
    update_attrs(idata, attrs or {})
    return idata


def group_names(idata) -> list[str]:
    """The names of the groups of an ArviZ result, in order, without the root.

    Example:
        >>> import numpy as np
        >>> group_names(from_groups({"posterior": {"x": np.zeros((1, 2))}}))
        ['posterior']
    """
    groups = idata.groups
    if callable(groups):  # ArviZ 0.23: InferenceData.groups()
        return list(groups())
    return [path.strip("/") for path in groups if path.strip("/") and path.count("/") == 1]


def group_dataset(idata, name: str):
    """One group of an ArviZ result as an ``xarray.Dataset``.

    Example:
        >>> import numpy as np
        >>> type(group_dataset(from_groups({"posterior": {"x": np.zeros((1, 2))}}),
        ...                    "posterior")).__name__
        'Dataset'
    """
    group = idata[name]
    return group.to_dataset() if hasattr(group, "to_dataset") else group


def with_group(idata, name: str, dataset):
    """A copy of an ArviZ result with group ``name`` set to ``dataset`` (added or replaced).

    Example:
        >>> import numpy as np
        >>> idata = from_groups({"posterior": {"x": np.zeros((1, 2))}})
        >>> more = group_dataset(idata, "posterior").assign(y=(("chain", "draw"), np.ones((1, 2))))
        >>> sorted(with_group(idata, "posterior", more).posterior.data_vars)
        ['x', 'y']
        >>> sorted(idata.posterior.data_vars)  # the original is unchanged
        ['x']
    """
    if hasattr(dataset, "to_dataset"):
        dataset = dataset.to_dataset()
    out = idata.copy()
    if callable(out.groups):  # ArviZ 0.23
        if name in out.groups():
            setattr(out, name, dataset)
        else:
            out.add_groups({name: dataset})
        return out
    out[name] = dataset
    return out


def update_attrs(idata, attrs: dict) -> None:
    """Add ``attrs`` to every group of an ArviZ result, in place.

    Example:
        >>> import numpy as np
        >>> idata = from_groups({"posterior": {"x": np.zeros((1, 2))}})
        >>> update_attrs(idata, {"sampler": "hmc"}); idata.posterior.attrs["sampler"]
        'hmc'
    """
    for name in group_names(idata):
        idata[name].attrs.update(attrs)
