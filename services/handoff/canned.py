"""Canned replies offered in the agent console, in the chat's language."""

from __future__ import annotations

CANNED: list[dict[str, str]] = [
    {
        "id": "greeting",
        "en": "Hello, thank you for waiting. How can I help you today?",
        "es": "Hola, gracias por esperar. ¿En qué le puedo ayudar hoy?",
    },
    {
        "id": "one_moment",
        "en": "Thank you. Give me a moment to look into this.",
        "es": "Gracias. Deme un momento para revisarlo.",
    },
    {
        "id": "no_pii",
        "en": "Please don't type your A-number, Social Security number or any password here.",
        "es": "No escriba aquí su número A, su número de Seguro Social ni contraseñas.",
    },
    {
        "id": "appointment",
        "en": "I can ask the office to schedule an appointment for you. You'll get the date by "
        "mail or in your online account.",
        "es": "Puedo pedir a la oficina que le programe una cita. Recibirá la fecha por correo o "
        "en su cuenta en línea.",
    },
    {
        "id": "secure_message",
        "en": "For questions about your own case, please send a secure message from your USCIS "
        "online account at https://my.uscis.gov.",
        "es": "Para preguntas sobre su propio caso, envíe un mensaje seguro desde su cuenta en "
        "línea de USCIS en https://my.uscis.gov.",
    },
    {
        "id": "anything_else",
        "en": "Is there anything else I can help you with?",
        "es": "¿Hay algo más en lo que le pueda ayudar?",
    },
]
