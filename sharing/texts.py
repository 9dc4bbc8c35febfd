"""Every sentence a patient reads from `sharing`, in French and English.

A tiny catalogue instead of gettext: a few dozen sentences, kept beside the
code that uses them, checked by a test that each key has both languages with
the same placeholders. Placeholders are ``str.format`` fields.
"""

from __future__ import annotations

from collections.abc import Mapping

from sharing.device_texts import DEVICE_TEXTS
from sharing.kinds import choices
from sharing.terms import Language

CATALOGUE: Mapping[str, Mapping[Language, str]] = {
    # --- kinds, as the patient names them
    "kind.weight": {Language.FR: "poids", Language.EN: "weight"},
    "kind.body_composition": {
        Language.FR: "composition corporelle",
        Language.EN: "body composition",
    },
    "kind.blood_pressure": {Language.FR: "tension artérielle", Language.EN: "blood pressure"},
    "kind.intermediate_cuff_pressure": {
        Language.FR: "pression du brassard",
        Language.EN: "cuff pressure",
    },
    "kind.glucose": {Language.FR: "glycémie", Language.EN: "blood sugar"},
    "kind.glucose_context": {
        Language.FR: "repas et contexte de glycémie",
        Language.EN: "meals and blood sugar context",
    },
    "kind.spo2": {
        Language.FR: "saturation en oxygène",
        Language.EN: "blood oxygen saturation",
    },
    "kind.spo2_continuous": {
        Language.FR: "saturation en oxygène en continu",
        Language.EN: "continuous blood oxygen saturation",
    },
    "kind.temperature": {Language.FR: "température", Language.EN: "body temperature"},
    "kind.intermediate_temperature": {
        Language.FR: "température en cours de mesure",
        Language.EN: "temperature while measuring",
    },
    "kind.all": {Language.FR: "toutes vos mesures", Language.EN: "all your measurements"},
    # --- purposes
    "purpose.view": {Language.FR: "a consulté", Language.EN: "looked at"},
    "purpose.triage": {
        Language.FR: "a vu dans la liste de suivi de l'équipe",
        Language.EN: "saw in the team's follow-up list",
    },
    "purpose.export": {Language.FR: "a téléchargé", Language.EN: "downloaded"},
    "purpose.fhir": {
        Language.FR: "a transmis à un logiciel de santé (FHIR)",
        Language.EN: "sent to a health software (FHIR)",
    },
    "purpose.alert": {
        Language.FR: "a reçu une alerte sur",
        Language.EN: "received an alert about",
    },
    # --- audit lines: "{who} {what} {kind}" and the refusals
    "audit.access_allowed": {
        Language.FR: "{who} {purpose} : {kind}.",
        Language.EN: "{who} {purpose}: {kind}.",
    },
    "audit.access_refused": {
        Language.FR: "{who} a essayé de voir : {kind}. Refusé ({reason}).",
        Language.EN: "{who} tried to see: {kind}. Refused ({reason}).",
    },
    "audit.grant_created": {
        Language.FR: "Vous avez partagé {kind} avec {who} jusqu'au {until}.",
        Language.EN: "You shared {kind} with {who} until {until}.",
    },
    "audit.grant_renewed": {
        Language.FR: "Vous avez prolongé le partage avec {who} jusqu'au {until}.",
        Language.EN: "You extended sharing with {who} until {until}.",
    },
    "audit.grant_revoked": {
        Language.FR: "Vous avez arrêté le partage avec {who}.",
        Language.EN: "You stopped sharing with {who}.",
    },
    "audit.code_created": {
        Language.FR: "Vous avez créé un code d'accès ({kind}) valable jusqu'au {until}.",
        Language.EN: "You created an access code ({kind}) valid until {until}.",
    },
    "audit.code_redeemed": {
        Language.FR: "{who} a utilisé votre code d'accès.",
        Language.EN: "{who} used your access code.",
    },
    "audit.code_redeemed_refused": {
        Language.FR: "{who} a essayé d'utiliser votre code d'accès. Refusé ({reason}).",
        Language.EN: "{who} tried to use your access code. Refused ({reason}).",
    },
    "audit.break_glass_opened_refused": {
        Language.FR: "{who} a demandé un accès d'urgence à vos mesures. Refusé ({reason}). "
        "Raison donnée : « {detail} ».",
        Language.EN: "{who} asked for emergency access to your measurements. "
        "Refused ({reason}). Reason given: “{detail}”.",
    },
    "audit.code_revoked": {
        Language.FR: "Vous avez annulé un code d'accès.",
        Language.EN: "You cancelled an access code.",
    },
    "audit.notices_read": {
        Language.FR: "Vous avez marqué {detail} message(s) comme lu(s).",
        Language.EN: "You marked {detail} message(s) as read.",
    },
    "audit.break_glass_opened": {
        Language.FR: "{who} a ouvert un accès d'urgence à toutes vos mesures "
        "jusqu'au {until}. Raison donnée : « {detail} ».",
        Language.EN: "{who} opened emergency access to all your measurements "
        "until {until}. Reason given: “{detail}”.",
    },
    # --- who, when there is no name to show
    "who.another_patient": {
        Language.FR: "Un autre compte patient",
        Language.EN: "Another patient account",
    },
    "who.unknown": {Language.FR: "Une personne inconnue", Language.EN: "An unknown person"},
    "who.code_holder": {
        Language.FR: "La personne à qui vous avez donné un code ({name})",
        Language.EN: "The person you gave a code to ({name})",
    },
    "who.team": {Language.FR: "l'équipe « {name} »", Language.EN: "the team “{name}”"},
    # --- reasons for refusals, in plain words
    "reason.no_grant": {Language.FR: "rien n'est partagé", Language.EN: "nothing is shared"},
    "reason.kind_not_granted": {
        Language.FR: "cette mesure n'est pas partagée",
        Language.EN: "this measurement is not shared",
    },
    "reason.expired": {Language.FR: "partage terminé", Language.EN: "sharing has ended"},
    "reason.revoked": {
        Language.FR: "vous avez arrêté le partage",
        Language.EN: "you stopped sharing",
    },
    "reason.other": {Language.FR: "accès non autorisé", Language.EN: "access not allowed"},
    "reason.code_expired": {Language.FR: "code expiré", Language.EN: "code expired"},
    "reason.code_exhausted": {
        Language.FR: "code déjà utilisé le nombre de fois prévu",
        Language.EN: "code already used as many times as allowed",
    },
    "reason.code_revoked": {Language.FR: "code annulé", Language.EN: "code cancelled"},
    "reason.not_enrolled": {
        Language.FR: "cette équipe ne vous suit pas",
        Language.EN: "this team does not follow you",
    },
    "reason.code_session_expired": {
        Language.FR: "accès par code terminé",
        Language.EN: "code access has ended",
    },
    # --- notifications shown on the patient's page
    "notify.break_glass": {
        Language.FR: "Accès d'urgence : {who} a ouvert l'accès à toutes vos mesures le {when}, "
        "jusqu'au {until}. Raison donnée : « {reason} ». Si vous n'étiez pas au courant, "
        "parlez-en à votre équipe de soins.",
        Language.EN: "Emergency access: {who} opened access to all your measurements on {when}, "
        "until {until}. Reason given: “{reason}”. If you did not know about this, "
        "talk to your care team.",
    },
    "notify.code_redeemed": {
        Language.FR: "Votre code d'accès a été utilisé le {when} par {who}.",
        Language.EN: "Your access code was used on {when} by {who}.",
    },
    "notify.grant_ending": {
        Language.FR: "Votre partage ({kind}) avec {who} se termine le {until}. "
        "Pour le continuer, prolongez-le sur votre page « Partage » ; sinon, rien à faire.",
        Language.EN: "Your sharing ({kind}) with {who} ends on {until}. "
        "To keep it, extend it on your “Sharing” page; otherwise there is nothing to do.",
    },
    **DEVICE_TEXTS,
    # --- access code instructions for the patient
    "code.instructions": {
        Language.FR: "Lisez ce code à la personne qui doit voir vos mesures : {code}. "
        "Il donne accès en lecture seule à : {kind}, jusqu'au {until}, {uses} fois au plus. "
        "Vous pouvez l'annuler à tout moment.",
        Language.EN: "Read this code to the person who should see your measurements: {code}. "
        "It gives read-only access to: {kind}, until {until}, at most {uses} time(s). "
        "You can cancel it at any time.",
    },
}

#: Refusal reasons the patient reads as they are; any other reason reads "reason.other".
PLAIN_REASONS = frozenset(
    {
        "no_grant",
        "kind_not_granted",
        "expired",
        "revoked",
        "code_expired",
        "code_exhausted",
        "code_revoked",
        "code_session_expired",
        "not_enrolled",
    }
)


def language(value: str | None) -> Language:
    """The patient's language, French when unknown (the project's first public)."""
    try:
        return Language(value or "fr")
    except ValueError:
        return Language.FR


def text(key: str, lang: Language | str, **params: object) -> str:
    """The sentence ``key`` in ``lang``, with its placeholders filled."""
    return CATALOGUE[key][language(str(lang))].format(**params)


def kinds_text(kinds: list[str] | frozenset[str] | None, lang: Language | str) -> str:
    """A list of kinds in words (``poids, glycémie``); None means all kinds."""
    if not kinds:
        return text("kind.all", lang)
    return ", ".join(text(f"kind.{k}", lang) for k in choices(kinds))


def reason_text(reason: str | None, lang: Language | str) -> str:
    key = f"reason.{reason}" if reason in PLAIN_REASONS else "reason.other"
    return text(key, lang)
