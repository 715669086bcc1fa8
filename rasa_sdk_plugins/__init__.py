"""Extensions of the action server. rasa_sdk imports a package of this name, if there is one,
and calls `init_hooks` with its plugin manager (rasa_sdk/plugin.py): the documented way to add
listeners to the action server's Sanic app without starting it ourselves."""

from __future__ import annotations

import sys

import pluggy
from sanic import Sanic

from services.collector import freeze_when_started

hookimpl = pluggy.HookimplMarker("rasa_sdk")


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """Once the action server has started, keep what it loaded (rasa_sdk, the actions, their
    texts) out of the garbage collector's full collections (services/collector.py)."""
    app.register_listener(freeze_when_started, "after_server_start")


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(sys.modules[__name__])
