"""Shared docstring fragments: the one way to template a docstring.

A docstring line holding only ``{name}`` (indented as the text around it)
is replaced by the fragment ``name``, re-indented to that line::

    @fill_doc(walk_parameters=WALK_PARAMETERS)
    def random_walks(...):
        '''...

        Parameters
        ----------
        {walk_parameters}
        '''

Fragments are written as docstrings are: the first line may start at once,
the following ones keep their common indentation (as
:func:`inspect.cleandoc` reads them).  Works on functions and classes.
"""

from __future__ import annotations

import inspect
import re
import textwrap

__all__ = ["FRAGMENT_NAMES", "fill_doc"]

#: A line that is only a placeholder: its indentation and the fragment name.
_PLACEHOLDER = re.compile(r"^([ \t]*)\{(\w+)\}[ \t]*$", re.MULTILINE)

#: Names of every fragment :func:`fill_doc` was given (for the docstring test).
FRAGMENT_NAMES: set[str] = set()


def fill_doc(**fragments: str):
    """Decorator: substitute ``fragments`` into the decorated object's docstring.

    Raises ``ValueError`` when a fragment has no placeholder in the
    docstring (a renamed placeholder would otherwise stay in the docs).
    Without docstrings (``python -OO``) the object is returned unchanged.
    """
    texts = {name: inspect.cleandoc(text) for name, text in fragments.items()}
    FRAGMENT_NAMES.update(texts)

    def decorate(obj):
        doc = obj.__doc__
        if doc is None:
            return obj
        used = set()

        def substitute(match: re.Match) -> str:
            indent, name = match.groups()
            if name not in texts:
                return match.group(0)
            used.add(name)
            return textwrap.indent(texts[name], indent)

        doc = _PLACEHOLDER.sub(substitute, doc)
        unused = sorted(set(texts) - used)
        if unused:
            raise ValueError(
                f"the docstring of {obj.__qualname__} has no line {{{unused[0]}}} for fragment {unused[0]!r}"
            )
        obj.__doc__ = doc
        return obj

    return decorate
