"""What the handoff says to a visitor in the chat, in English and Spanish."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "joined": {
        "en": "{agent} from the help team has joined the chat.",
        "es": "{agent}, del equipo de ayuda, se unió al chat.",
    },
    "position": {
        "en": "You are now number {position} in line.",
        "es": "Ahora usted es el número {position} en la fila.",
    },
    "transferred": {
        "en": "{agent} is passing your chat to another team. You are number {position} in line.",
        "es": "{agent} está pasando su chat a otro equipo. Usted es el número {position} en "
        "la fila.",
    },
    "ended": {
        "en": "{agent} has left the chat. You're back with the virtual assistant: ask me anything.",
        "es": "{agent} salió del chat. Está de nuevo con el asistente virtual: pregúnteme lo "
        "que quiera.",
    },
    "closed": {
        "en": "{agent} has closed the chat. Thank you for contacting us. The virtual assistant is "
        "here if you need anything else.",
        "es": "{agent} cerró el chat. Gracias por comunicarse con nosotros. El asistente virtual "
        "sigue aquí si necesita algo más.",
    },
    "gave_up": {
        "en": "Sorry, no one could take your chat. You can call the USCIS Contact Center at "
        "800-375-5283 (TTY: 800-767-1833), send a secure message from your USCIS online account, "
        "or leave your question here to get the answer by e-mail. You're back with the virtual "
        "assistant.",
        "es": "Lo siento, nadie pudo atender su chat. Puede llamar al Centro de Contacto de USCIS "
        "al 800-375-5283 (TTY: 800-767-1833), enviar un mensaje seguro desde su cuenta en línea de "
        "USCIS o dejar aquí su pregunta para recibir la respuesta por correo. Está de nuevo con "
        "el asistente virtual.",
    },
}


def say(key: str, language: str, **values: object) -> str:
    return TEXTS[key][language if language in ("en", "es") else "en"].format(**values)
