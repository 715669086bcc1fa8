"""Services the assistant runs beside Rasa: the chat hub and the case-status service."""
