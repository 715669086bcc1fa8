"""Chat hub: the only process visitors reach.

It serves the widget and the demo page, speaks WebSocket with the widget, keeps every
conversation's transcript and relays visitor messages to Rasa's REST channel.
"""
