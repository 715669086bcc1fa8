"""E-mail of a service request's answer through the configured SMTP server.

The standard library's smtplib runs in a worker thread, so a slow mail server never stalls the
hub's event loop. The visitor's address is never logged.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from services.handoff.settings import SmtpSettings
from services.handoff.store import ServiceRequest

SUBJECT = {
    "en": "Your service request {number}",
    "es": "Su solicitud de servicio {number}",
}
BODY = {
    "en": (
        "Hello,\n\nThis is the answer to the question you left with the virtual assistant "
        "(service request {number}).\n\nYour question:\n{question}\n\nOur answer:\n{answer}\n\n"
        "{agent}\n\nPlease don't reply to this e-mail. For more help, call the USCIS Contact "
        "Center at 800-375-5283 (TTY: 800-767-1833) or send a secure message from your USCIS "
        "online account.\n"
    ),
    "es": (
        "Hola:\n\nEsta es la respuesta a la pregunta que dejó con el asistente virtual "
        "(solicitud de servicio {number}).\n\nSu pregunta:\n{question}\n\nNuestra respuesta:\n"
        "{answer}\n\n{agent}\n\nNo responda a este correo. Para más ayuda, llame al Centro de "
        "Contacto de USCIS al 800-375-5283 (TTY: 800-767-1833) o envíe un mensaje seguro desde "
        "su cuenta en línea de USCIS.\n"
    ),
}


class MailError(RuntimeError):
    """The mail server refused the message or could not be reached."""


def answer_message(
    settings: SmtpSettings, request: ServiceRequest, answer: str, agent: str
) -> EmailMessage:
    lang = request.language if request.language in BODY else "en"
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = request.email
    message["Subject"] = SUBJECT[lang].format(number=request.number)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(
        BODY[lang].format(
            number=request.number, question=request.question, answer=answer, agent=agent
        )
    )
    return message


def _send(settings: SmtpSettings, message: EmailMessage) -> None:
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(type(error).__name__) from error


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    await asyncio.get_running_loop().run_in_executor(None, _send, settings, message)
