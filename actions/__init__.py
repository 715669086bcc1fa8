"""Custom actions run by the action server (`rasa run actions`), one module per concern.

rasa-sdk registers every Action subclass found in the modules of this package.
"""
