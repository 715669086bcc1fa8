"""Account and password help: guided sign-in steps for the three account types (issue 7).

`guide` holds the logic and reads the texts from data/account/steps.yml; `actions` adapts it to
rasa-sdk.
"""
