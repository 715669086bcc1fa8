"""Code that runs inside the Rasa server (channel, stores, NLU components)."""

from addons import (
    action_validation,
    channels,
    domain,
    endpoint_session,
    graph_runner,
    rule_policy,
)

action_validation.install()
channels.install()
domain.install()
endpoint_session.install()
graph_runner.install()
rule_policy.install()
