"""The two factories the catalogue declares its plain wordings with.

Most of the daemon's wordings are a status and a template whose fields are the message's
arguments: ``no_such_network = message(404, "network {ref} not found")`` declares a callable
that takes the fields, in the order they first appear (or in ``args``' order), positionally or
by name — ``no_such_network("n")`` or ``no_such_network(ref="n")`` — and returns the
``DaemonError``. A wording a newer engine words (or answers) differently carries its own
templates in ``newer`` (``{"26.1": "..."}`` or ``{"26.1": (400, "...")}``), filled with the same
arguments. ``text(...)`` is the same for the wordings that are a plain ``str`` (a task's
``Err``, a warning). A field is a plain argument name, with Python's conversion and format spec
(``{value!r}``, ``{seconds:g}``); a message that computes anything stays a function.
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Mapping

from ..daemon_error import DaemonError


def template_fields(*templates: str) -> tuple[str, ...]:
    """The fields of ``templates``, in the order they first appear, each once."""
    names: list[str] = []
    for template in templates:
        for _literal, field, _spec, _conversion in string.Formatter().parse(template):
            if field is None:
                continue
            if not field.isidentifier():
                raise ValueError(f"{template!r}: the field {{{field}}} is not an argument's name")
            if field not in names:
                names.append(field)
    return tuple(names)


class _Template:
    """A wording's templates and the call signature their fields make."""

    def __init__(self, template: str, others: tuple[str, ...], args: tuple[str, ...] | None):
        fields = template_fields(template, *others)
        if args is None:
            args = fields
        elif sorted(args) != sorted(fields):
            raise ValueError(f"{template!r}: args {args} are not the fields {fields}")
        self.template = template
        self.args = args
        self.__signature__ = inspect.Signature(
            [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in args]
        )

    def _values(self, args: tuple[object, ...], kwargs: dict[str, object]) -> dict[str, object]:
        """The fields' values, or the ``TypeError`` a function of ``self.args`` would raise."""
        if not kwargs and len(args) == len(self.args):
            return dict(zip(self.args, args, strict=True))
        return dict(self.__signature__.bind(*args, **kwargs).arguments)


class Message(_Template):
    """``message(status, template, newer=...)``: called with the fields, the ``DaemonError``."""

    def __init__(self, status: int, template: str, *,
                 newer: Mapping[str, str | tuple[int, str]] | None = None,
                 args: tuple[str, ...] | None = None):
        self.status = status
        self.newer = dict(newer or {})
        others = tuple(n if isinstance(n, str) else n[1] for n in self.newer.values())
        super().__init__(template, others, args)

    def __call__(self, *args: object, **kwargs: object) -> DaemonError:
        values = self._values(args, kwargs)
        newer: dict[str, str | tuple[int, str]] = {
            since: (answer[0], answer[1].format_map(values)) if isinstance(answer, tuple)
            else answer.format_map(values)
            for since, answer in self.newer.items()
        }
        return DaemonError(self.status, self.template.format_map(values), newer=newer or None)

    def __repr__(self) -> str:
        return f"message({self.status}, {self.template!r})"


class Text(_Template):
    """``text(template)``: called with the fields, the wording as a plain ``str``."""

    def __init__(self, template: str, *, args: tuple[str, ...] | None = None):
        super().__init__(template, (), args)

    def __call__(self, *args: object, **kwargs: object) -> str:
        return self.template.format_map(self._values(args, kwargs))

    def __repr__(self) -> str:
        return f"text({self.template!r})"


def message(status: int, template: str, *,
            newer: Mapping[str, str | tuple[int, str]] | None = None,
            args: tuple[str, ...] | None = None) -> Message:
    """A daemon error worded by ``template`` (and ``newer``), answered with ``status``; the
    arguments are the fields, in ``args``' order where it differs from the template's."""
    return Message(status, template, newer=newer, args=args)


def text(template: str, *, args: tuple[str, ...] | None = None) -> Text:
    """A plain wording (a ``str``, not an error), as :func:`message`."""
    return Text(template, args=args)
