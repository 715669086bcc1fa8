"""What the visitor reads about a lookup, in English and Spanish.

The status title and description are the API's own words in the visitor's language; this module
adds the date of the last change and what to do next for that kind of status.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from actions.case_status.dates import long_date, parse_date
from privacy import mask_receipt, redact_text

PHONE = "800-375-5283"
TOOL = "https://egov.uscis.gov/casestatus"

ASK = {
    "en": (
        "What is your receipt number? It has 13 characters, 3 letters and 10 digits (like EAC, "
        "WAC, LIN, SRC or IOE followed by numbers), and it is printed on the receipt notice USCIS "
        "sent you (Form I-797C). You can type it with or without dashes or spaces."
    ),
    "es": (
        "¿Cuál es su número de recibo? Tiene 13 caracteres, 3 letras y 10 números (como EAC, WAC, "
        "LIN, SRC o IOE seguido de números), y aparece en el aviso de recibo que USCIS le envió "
        "(Formulario I-797C). Puede escribirlo con o sin guiones o espacios."
    ),
}
INVALID = {
    "en": (
        "That doesn't look like a receipt number. A receipt number is 3 letters followed by 10 "
        "digits, for example ABC 12 345 67890; some notices print it with an asterisk, like "
        'IOE*123456789. Look for "Receipt Number" near the top of your receipt notice '
        "(Form I-797C) or in your USCIS online account."
    ),
    "es": (
        "Eso no parece un número de recibo. Un número de recibo tiene 3 letras seguidas de 10 "
        "números, por ejemplo ABC 12 345 67890; algunos avisos lo muestran con un asterisco, como "
        'IOE*123456789. Busque "Receipt Number" en la parte de arriba de su aviso de recibo '
        "(Formulario I-797C) o en su cuenta en línea de USCIS."
    ),
}
# Added after a few receipt numbers that could not be read: the ways out.
STUCK = {
    "en": (
        "If you can't find your receipt number, you can stop here, look your case up later at "
        f"{TOOL}, or talk to a person at the USCIS Contact Center: {PHONE}."
    ),
    "es": (
        "Si no encuentra su número de recibo, puede dejarlo aquí, consultar su caso más tarde en "
        f"{TOOL} o hablar con una persona en el Centro de Contacto de USCIS: {PHONE}."
    ),
}
REASK = {
    "en": 'Please type your receipt number, or say "stop" to leave this.',
    "es": 'Escriba su número de recibo, o diga "salir" para dejar esto.',
}
FIND_IT = {"en": "Where do I find it?", "es": "¿Dónde lo encuentro?"}
FIND_IT_PAYLOAD = {
    "en": "where do i find my receipt number",
    "es": "dónde encuentro mi número de recibo",
}
NEVER_MIND = {"en": "Never mind", "es": "Olvídelo"}
ANOTHER = {"en": "Check another case", "es": "Consultar otro caso"}
PERSON = {"en": "Talk to a person", "es": "Hablar con una persona"}
TRY_AGAIN = {"en": "Try again", "es": "Intentar de nuevo"}

# One message for every "not found": it must never hint that a case could be protected.
NOT_FOUND = {
    "en": (
        "I couldn't find a case with the receipt number {receipt}. Please check that it matches "
        "your notice exactly and try again. If it still isn't found, you can call the USCIS "
        f"Contact Center at {PHONE}."
    ),
    "es": (
        "No encontré un caso con el número de recibo {receipt}. Verifique que coincida "
        "exactamente con su aviso e inténtelo de nuevo. Si aun así no aparece, puede llamar al "
        f"Centro de Contacto de USCIS al {PHONE}."
    ),
}
UNAVAILABLE = {
    "en": (
        "Sorry, I can't reach the case status system right now. You can try again in a few "
        f"minutes, check {TOOL} yourself, or talk to a person at the USCIS Contact Center: "
        f"{PHONE} (Monday to Friday, 8 a.m. to 8 p.m. Eastern)."
    ),
    "es": (
        "Lo siento, ahora no puedo comunicarme con el sistema del estado de casos. Puede "
        f"intentarlo de nuevo en unos minutos, consultarlo usted en {TOOL} o hablar con una "
        f"persona en el Centro de Contacto de USCIS: {PHONE} (de lunes a viernes, de 8 a. m. a "
        "8 p. m., hora del Este)."
    ),
}
LIMIT = {
    "en": (
        "To protect people's privacy, I can only look up a few cases in one conversation, and "
        f"you have reached that limit. You can keep checking your cases at {TOOL} or in your "
        "USCIS online account."
    ),
    "es": (
        "Para proteger la privacidad de las personas, solo puedo consultar unos pocos casos en "
        f"una conversación, y ya llegó a ese límite. Puede seguir consultando sus casos en {TOOL} "
        "o en su cuenta en línea de USCIS."
    ),
}
NO_BACKEND = {
    "en": (
        "You can check your case with the 13-character receipt number printed on your notice "
        f"(Form I-797): {TOOL}"
    ),
    "es": (
        "Puede consultar su caso con el número de recibo de 13 caracteres que aparece en su "
        f"aviso (Formulario I-797): {TOOL}"
    ),
}
ANSWER = {
    "en": "Here is the latest on case {receipt} (Form {form}):\n{title}\n{description}",
    "es": "Esto es lo más reciente del caso {receipt} (Formulario {form}):\n{title}\n{description}",
}
UPDATED = {"en": "Last updated: {date}.", "es": "Última actualización: {date}."}
NEXT = {"en": "What to do next: {advice}", "es": "Qué hacer ahora: {advice}"}

# Status titles grouped by stage; the first group whose words appear in the title wins.
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("evidence", ("evidence", "intent to deny", "intent to revoke")),
    ("closed", ("denied", "rejected", "withdraw", "closed", "terminated", "revoked", "abandon")),
    ("interview", ("interview",)),
    ("biometrics", ("fingerprint", "biometric")),
    ("card", ("card", "document", "produced", "delivered", "picked up", "mailed to me")),
    ("approved", ("approved", "approval", "certified", "oath")),
    ("received", ("received", "accepted", "fee", "waived", "lockbox")),
    ("review", ("review", "pending", "hold", "transferred", "reopened", "correspondence")),
]
ADVICE: dict[str, dict[str, str]] = {
    "received": {
        "en": (
            "nothing for now. Keep your receipt notice, and update your address if you move "
            "(https://www.uscis.gov/addresschange). Typical waits are at "
            "https://egov.uscis.gov/processing-times"
        ),
        "es": (
            "nada por ahora. Guarde su aviso de recibo y actualice su dirección si se muda "
            "(https://www.uscis.gov/es/cambiodedireccion). Los tiempos habituales están en "
            "https://egov.uscis.gov/processing-times"
        ),
    },
    "biometrics": {
        "en": (
            "go to your biometrics appointment on the date on your notice, with the notice and a "
            "photo ID. If you can't go, follow the notice's instructions to reschedule before the "
            "date."
        ),
        "es": (
            "vaya a su cita de datos biométricos en la fecha de su aviso, con el aviso y una "
            "identificación con foto. Si no puede ir, siga las instrucciones del aviso para "
            "cambiar la cita antes de la fecha."
        ),
    },
    "review": {
        "en": (
            "nothing while we review your case. If it is taking longer than the posted processing "
            "time, you can ask about it at https://egov.uscis.gov/e-request"
        ),
        "es": (
            "nada mientras revisamos su caso. Si tarda más que el tiempo de procesamiento "
            "publicado, puede preguntar en https://egov.uscis.gov/e-request"
        ),
    },
    "evidence": {
        "en": (
            "read the notice carefully and send everything it asks for before the deadline printed "
            "on it, with the notice on top. If you filed online, you can answer in your USCIS "
            "online account (https://my.uscis.gov). If you already answered, we are reviewing it."
        ),
        "es": (
            "lea el aviso con cuidado y envíe todo lo que pide antes de la fecha límite que "
            "aparece en él, con el aviso encima. Si presentó en línea, puede responder en su "
            "cuenta en línea de USCIS (https://my.uscis.gov). Si ya respondió, lo estamos "
            "revisando."
        ),
    },
    "interview": {
        "en": (
            "go to your interview on the date on your notice, with the documents it lists. If you "
            "can't go, follow the notice's instructions or contact USCIS before the date."
        ),
        "es": (
            "vaya a su entrevista en la fecha de su aviso, con los documentos que indica. Si no "
            "puede ir, siga las instrucciones del aviso o comuníquese con USCIS antes de la fecha."
        ),
    },
    "approved": {
        "en": (
            "read your approval notice and follow its instructions. If a card or document is "
            "coming, make sure USCIS has your current address (https://www.uscis.gov/addresschange)."
        ),
        "es": (
            "lea su aviso de aprobación y siga sus instrucciones. Si le van a enviar una tarjeta o "
            "un documento, asegúrese de que USCIS tenga su dirección actual "
            "(https://www.uscis.gov/es/cambiodedireccion)."
        ),
    },
    "card": {
        "en": (
            "watch your mail. If it doesn't arrive in the expected time, you can ask about it at "
            "https://egov.uscis.gov/e-request"
        ),
        "es": (
            "esté pendiente de su correo. Si no llega en el tiempo esperado, puede preguntar en "
            "https://egov.uscis.gov/e-request"
        ),
    },
    "closed": {
        "en": (
            "read the notice USCIS mailed you: it explains the decision and the options you may "
            "have. For advice on your situation, you can look for an attorney or accredited "
            "representative: https://www.uscis.gov/avoid-scams/find-legal-services"
        ),
        "es": (
            "lea el aviso que USCIS le envió: explica la decisión y las opciones que puede tener. "
            "Para recibir consejo sobre su situación, puede buscar un abogado o representante "
            "acreditado: https://www.uscis.gov/es/evite-estafas/encuentre-servicios-legales"
        ),
    },
    "other": {
        "en": (
            "read any notice USCIS sent you and follow its instructions. For questions about your "
            "case, you can contact USCIS: https://www.uscis.gov/contactcenter"
        ),
        "es": (
            "lea cualquier aviso que USCIS le haya enviado y siga sus instrucciones. Si tiene "
            "preguntas sobre su caso, puede comunicarse con USCIS: https://www.uscis.gov/es/contactenos"
        ),
    },
}


def status_group(title: str) -> str:
    """The stage a status title belongs to; "other" for titles not seen before."""
    lowered = title.lower()
    for group, words in GROUPS:
        if any(word in lowered for word in words):
            return group
    return "other"


def normalize_form(form: str) -> str:
    """ "N400" -> "N-400"; the API leaves the hyphen out in some payloads."""
    compact = form.strip().upper()
    match = re.fullmatch(r"([A-Z]{1,3})-?(\d+[A-Z]*)", compact)
    return f"{match.group(1)}-{match.group(2)}" if match else compact


def last_change(case: dict[str, Any]) -> datetime | None:
    """modifiedDate; IOE receipts have none, so the newest history date stands in."""
    moment = parse_date(case.get("modifiedDate"))
    if moment is None:
        dates = [parse_date(entry.get("date")) for entry in case.get("hist_case_status") or []]
        dates = [date for date in dates if date]
        moment = max(dates) if dates else None
    return moment


def answer(case: dict[str, Any], receipt: str, lang: str) -> str:
    """The status in the visitor's language, the date of the last change and what to do next."""
    title_en = str(case.get("current_case_status_text_en") or "")
    title = case.get(f"current_case_status_text_{lang}") or title_en
    description = case.get(f"current_case_status_desc_{lang}") or case.get(
        "current_case_status_desc_en", ""
    )
    lines = [
        ANSWER[lang].format(
            receipt=mask_receipt(receipt),
            form=normalize_form(str(case.get("formType") or "")),
            title=title,
            description=redact_text(str(description)),
        )
    ]
    moment = last_change(case)
    if moment is not None:
        lines.append(UPDATED[lang].format(date=long_date(moment, lang)))
    lines.append(NEXT[lang].format(advice=ADVICE[status_group(title_en)][lang]))
    return "\n".join(lines)
