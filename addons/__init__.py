"""Code that runs inside the Rasa server (channel, stores, NLU components)."""

from addons import action_validation, channels, domain, fast_json, graph_runner, rule_policy

action_validation.install()
channels.install()
domain.install()
fast_json.install()
graph_runner.install()
rule_policy.install()
