"""Code that runs inside the Rasa server (channel, stores, NLU components)."""

from addons import action_validation

action_validation.install()
