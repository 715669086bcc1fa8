"""The case statuses the service knows, with USCIS-like English and Spanish wording.

Titles follow the ones Case Status Online shows; the descriptions are this project's own words.
`{date_en}`, `{date_es}`, `{form}` and `{receipt}` are filled in when a case is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from actions.case_status.dates import long_date


@dataclass(frozen=True)
class Status:
    key: str
    title_en: str
    title_es: str
    desc_en: str
    desc_es: str

    def describe(self, moment: datetime, form: str, receipt: str) -> tuple[str, str]:
        """The English and Spanish descriptions for one case."""
        values = {
            "date_en": long_date(moment, "en"),
            "date_es": long_date(moment, "es"),
            "form": form,
            "receipt": receipt,
        }
        return self.desc_en.format(**values), self.desc_es.format(**values)


STATUSES: tuple[Status, ...] = (
    Status(
        "received",
        "Case Was Received",
        "Caso Fue Recibido",
        "On {date_en}, we received your Form {form}, Receipt Number {receipt}, and mailed you a "
        "receipt notice. We will write to you if we need anything else.",
        "El {date_es}, recibimos su Formulario {form}, Número de Recibo {receipt}, y le enviamos "
        "por correo un aviso de recibo. Le escribiremos si necesitamos algo más.",
    ),
    Status(
        "received_emailed",
        "Case Was Received and A Receipt Notice Was Emailed",
        "Caso Fue Recibido y Se Envió un Aviso de Recibo por Correo Electrónico",
        "On {date_en}, we received your Form {form}, Receipt Number {receipt}, and emailed you a "
        "receipt notice. Keep it: it has your receipt number.",
        "El {date_es}, recibimos su Formulario {form}, Número de Recibo {receipt}, y le enviamos "
        "un aviso de recibo por correo electrónico. Guárdelo: tiene su número de recibo.",
    ),
    Status(
        "fees_waived",
        "Fees Were Waived",
        "Se Eximió el Pago de las Tarifas",
        "On {date_en}, we granted your request to waive the fee for your Form {form}, Receipt "
        "Number {receipt}. Your case will now be processed.",
        "El {date_es}, aprobamos su solicitud de exención de la tarifa de su Formulario {form}, "
        "Número de Recibo {receipt}. Su caso seguirá su trámite.",
    ),
    Status(
        "biometrics_scheduled",
        "Fingerprint and Biometrics Appointment Was Scheduled",
        "Se Programó la Cita de Huellas Dactilares y Datos Biométricos",
        "On {date_en}, we scheduled a biometrics appointment for your Form {form}, Receipt Number "
        "{receipt}, and mailed you a notice with the date, time and place.",
        "El {date_es}, programamos una cita de datos biométricos para su Formulario {form}, "
        "Número de Recibo {receipt}, y le enviamos un aviso con la fecha, la hora y el lugar.",
    ),
    Status(
        "fingerprints_taken",
        "Case Was Updated To Show Fingerprints Were Taken",
        "Se Actualizó el Caso para Indicar que se Tomaron las Huellas Dactilares",
        "On {date_en}, we took your fingerprints and biometrics for your Form {form}, Receipt "
        "Number {receipt}. We are now reviewing your case.",
        "El {date_es}, tomamos sus huellas dactilares y datos biométricos para su Formulario "
        "{form}, Número de Recibo {receipt}. Ahora estamos revisando su caso.",
    ),
    Status(
        "actively_reviewed",
        "Case Is Being Actively Reviewed By USCIS",
        "USCIS Está Revisando Activamente el Caso",
        "As of {date_en}, we are actively reviewing your Form {form}, Receipt Number {receipt}. "
        "We will let you know if we need more information.",
        "Al {date_es}, estamos revisando activamente su Formulario {form}, Número de Recibo "
        "{receipt}. Le avisaremos si necesitamos más información.",
    ),
    Status(
        "transferred",
        "Case Was Transferred And A New Office Has Jurisdiction",
        "El Caso Fue Transferido y una Nueva Oficina Tiene Jurisdicción",
        "On {date_en}, we transferred your Form {form}, Receipt Number {receipt}, to another "
        "office to balance our workload. We mailed you a notice.",
        "El {date_es}, transferimos su Formulario {form}, Número de Recibo {receipt}, a otra "
        "oficina para equilibrar el trabajo. Le enviamos un aviso por correo.",
    ),
    Status(
        "rfe_sent",
        "Request for Evidence Was Sent",
        "Se Envió una Solicitud de Evidencia",
        "On {date_en}, we mailed you a request for evidence for your Form {form}, Receipt Number "
        "{receipt}. The request says what we need and by when.",
        "El {date_es}, le enviamos por correo una solicitud de evidencia para su Formulario "
        "{form}, Número de Recibo {receipt}. La solicitud indica qué necesitamos y para cuándo.",
    ),
    Status(
        "rfe_response_received",
        "Response To USCIS' Request For Evidence Was Received",
        "Se Recibió la Respuesta a la Solicitud de Evidencia de USCIS",
        "On {date_en}, we received your response to our request for evidence for your Form "
        "{form}, Receipt Number {receipt}. We are reviewing it.",
        "El {date_es}, recibimos su respuesta a nuestra solicitud de evidencia para su Formulario "
        "{form}, Número de Recibo {receipt}. La estamos revisando.",
    ),
    Status(
        "noid_sent",
        "Notice Of Intent To Deny Was Sent",
        "Se Envió un Aviso de Intención de Denegar",
        "On {date_en}, we mailed you a notice of intent to deny your Form {form}, Receipt Number "
        "{receipt}. The notice explains why and how long you have to answer.",
        "El {date_es}, le enviamos un aviso de intención de denegar su Formulario {form}, Número "
        "de Recibo {receipt}. El aviso explica por qué y cuánto tiempo tiene para responder.",
    ),
    Status(
        "interview_scheduled",
        "Interview Was Scheduled",
        "Se Programó la Entrevista",
        "On {date_en}, we scheduled an interview for your Form {form}, Receipt Number {receipt}, "
        "and mailed you a notice with the date, time and place.",
        "El {date_es}, programamos una entrevista para su Formulario {form}, Número de Recibo "
        "{receipt}, y le enviamos un aviso con la fecha, la hora y el lugar.",
    ),
    Status(
        "interview_completed",
        "Interview Was Completed And My Case Must Be Reviewed",
        "Se Completó la Entrevista y el Caso Debe Ser Revisado",
        "On {date_en}, we interviewed you about your Form {form}, Receipt Number {receipt}. We "
        "must review your case before we decide.",
        "El {date_es}, lo entrevistamos sobre su Formulario {form}, Número de Recibo {receipt}. "
        "Debemos revisar su caso antes de decidir.",
    ),
    Status(
        "approved",
        "Case Was Approved",
        "Caso Fue Aprobado",
        "On {date_en}, we approved your Form {form}, Receipt Number {receipt}, and mailed you an "
        "approval notice. Follow its instructions.",
        "El {date_es}, aprobamos su Formulario {form}, Número de Recibo {receipt}, y le enviamos "
        "un aviso de aprobación. Siga sus instrucciones.",
    ),
    Status(
        "card_produced",
        "New Card Is Being Produced",
        "Se Está Produciendo la Nueva Tarjeta",
        "On {date_en}, we ordered your new card for your Form {form}, Receipt Number {receipt}. "
        "We will mail it to the address we have on file.",
        "El {date_es}, ordenamos su nueva tarjeta para su Formulario {form}, Número de Recibo "
        "{receipt}. La enviaremos a la dirección que tenemos registrada.",
    ),
    Status(
        "card_mailed",
        "Card Was Mailed To Me",
        "La Tarjeta Fue Enviada por Correo",
        "On {date_en}, we mailed your new card for your Form {form}, Receipt Number {receipt}, "
        "to the address we have on file.",
        "El {date_es}, enviamos por correo su nueva tarjeta para su Formulario {form}, Número de "
        "Recibo {receipt}, a la dirección que tenemos registrada.",
    ),
    Status(
        "card_delivered",
        "Card Was Delivered To Me By The Post Office",
        "El Correo Entregó la Tarjeta",
        "On {date_en}, the Post Office delivered your new card for your Form {form}, Receipt "
        "Number {receipt}.",
        "El {date_es}, el correo entregó su nueva tarjeta para su Formulario {form}, Número de "
        "Recibo {receipt}.",
    ),
    Status(
        "document_mailed",
        "Document Was Mailed To Me",
        "El Documento Fue Enviado por Correo",
        "On {date_en}, we mailed the document for your Form {form}, Receipt Number {receipt}, to "
        "the address we have on file.",
        "El {date_es}, enviamos por correo el documento de su Formulario {form}, Número de Recibo "
        "{receipt}, a la dirección que tenemos registrada.",
    ),
    Status(
        "denied",
        "Case Was Denied",
        "Caso Fue Denegado",
        "On {date_en}, we denied your Form {form}, Receipt Number {receipt}, and mailed you a "
        "decision notice that explains why and what options you may have.",
        "El {date_es}, denegamos su Formulario {form}, Número de Recibo {receipt}, y le enviamos "
        "una decisión que explica por qué y qué opciones puede tener.",
    ),
    Status(
        "rejected_unsigned",
        "Case Was Rejected Because I Did Not Sign My Form",
        "El Caso Fue Rechazado Porque No Firmé el Formulario",
        "On {date_en}, we rejected your Form {form}, Receipt Number {receipt}, because it was not "
        "signed, and returned it to you with a notice.",
        "El {date_es}, rechazamos su Formulario {form}, Número de Recibo {receipt}, porque no "
        "estaba firmado, y se lo devolvimos con un aviso.",
    ),
    Status(
        "withdrawal_acknowledged",
        "Withdrawal Acknowledgement Notice Was Sent",
        "Se Envió el Aviso de Confirmación del Retiro",
        "On {date_en}, we received your request to withdraw your Form {form}, Receipt Number "
        "{receipt}, and mailed you a notice confirming it.",
        "El {date_es}, recibimos su solicitud de retirar su Formulario {form}, Número de Recibo "
        "{receipt}, y le enviamos un aviso de confirmación.",
    ),
    Status(
        "name_updated",
        "Name Was Updated",
        "Se Actualizó el Nombre",
        "On {date_en}, we updated your name in our records for your Form {form}, Receipt Number "
        "{receipt}.",
        "El {date_es}, actualizamos su nombre en nuestros registros para su Formulario {form}, "
        "Número de Recibo {receipt}.",
    ),
)
BY_KEY = {status.key: status for status in STATUSES}
# The usual road to each status, for the history of seeded cases.
PATH = (
    "received",
    "biometrics_scheduled",
    "fingerprints_taken",
    "actively_reviewed",
    "interview_scheduled",
    "interview_completed",
    "approved",
    "card_produced",
    "card_mailed",
)
