"""Code that runs inside the Rasa server (channel, stores, NLU components)."""

from addons import action_validation, graph_runner

action_validation.install()
graph_runner.install()
