"""How every command is registered: :class:`App`, a Typer whose commands share one error
handler. An :class:`~streams.errors.AgentgaugeError` that reaches it is printed once, in red,
and the command exits with the error's ``exit_code`` (2: wrong input or configuration)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.text import Text

from agentgauge.cli._render import err_console
from streams.errors import AgentgaugeError

F = TypeVar("F", bound=Callable[..., Any])


def handled(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AgentgaugeError as exc:
            err_console.print(Text(str(exc), style="red"), soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


class App(typer.Typer):
    """A command group (or, registered without a name, top-level commands)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("pretty_exceptions_show_locals", False)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        register = super().command(*args, **kwargs)

        def decorator(fn: F) -> F:
            register(handled(fn))
            return fn

        return decorator
