"""The closed vocabularies of sharing: roles, purposes, reasons, routes of access.

They are `StrEnum`s so the same word is stored in the database, returned by
the API and looked up in the message catalogue (`sharing.texts`).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a professional does in a care team; the web maps pages to roles."""

    NURSE = "nurse"
    PHYSICIAN = "physician"
    CARE_TEAM_ADMIN = "care_team_admin"
    #: the programme's technical contact: gateways and devices, never clinical data
    COORDINATOR = "coordinator"


class Purpose(StrEnum):
    """Why someone reads a patient's data; written to every audit row."""

    VIEW = "view"  # a page or an API read
    TRIAGE = "triage"  # the team's list of patients with latest values
    EXPORT = "export"  # download (JSON lines)
    FHIR = "fhir"  # FHIR search or Bundle export
    ALERT = "alert"  # an alert about the patient delivered to a recipient


class Via(StrEnum):
    """What made an access possible (or ``none`` when it was refused)."""

    SELF = "self"
    GRANT = "grant"
    CODE = "code"
    BREAK_GLASS = "break_glass"
    NONE = "none"


class Result(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"


class Reason(StrEnum):
    """Why access was refused: `NotAllowed.reason` and the audit row's ``reason``."""

    NO_GRANT = "no_grant"  # nothing was ever shared with this accessor
    KIND_NOT_GRANTED = "kind_not_granted"  # something is shared, not this kind
    EXPIRED = "expired"  # the grant's end date has passed
    REVOKED = "revoked"  # the patient stopped sharing
    OTHER_PATIENT = "other_patient"  # a code or a patient account used on someone else
    PURPOSE_NOT_ALLOWED = "purpose_not_allowed"  # e.g. alerts through an access code
    UNKNOWN_ACCESSOR = "unknown_accessor"  # no such professional, or deactivated
    UNKNOWN_PATIENT = "unknown_patient"
    NOT_ENROLLED = "not_enrolled"  # break-glass by someone outside the patient's teams
    CODE_UNKNOWN = "code_unknown"  # wrong code or unknown code session
    CODE_EXPIRED = "code_expired"
    CODE_EXHAUSTED = "code_exhausted"  # every allowed use was spent
    CODE_REVOKED = "code_revoked"
    CODE_SESSION_EXPIRED = "code_session_expired"  # the short capability from a code ran out
    RATE_LIMITED = "rate_limited"  # too many wrong codes: wait
    INVALID_REQUEST = "invalid_request"  # a grant or code request that breaks a rule


class Event(StrEnum):
    """What an audit row records: an access attempt, or a change to sharing."""

    ACCESS = "access"
    GRANT_CREATED = "grant_created"
    GRANT_RENEWED = "grant_renewed"
    GRANT_REVOKED = "grant_revoked"
    CODE_CREATED = "code_created"
    CODE_REDEEMED = "code_redeemed"
    CODE_REVOKED = "code_revoked"
    BREAK_GLASS_OPENED = "break_glass_opened"
    NOTICES_READ = "notices_read"  # the patient marked notices on their page as read


class ActorType(StrEnum):
    PATIENT = "patient"
    PROFESSIONAL = "professional"
    CARE_TEAM = "care_team"
    CODE = "code"
    SYSTEM = "system"


class RecipientType(StrEnum):
    CARE_TEAM = "care_team"
    PROFESSIONAL = "professional"
    PATIENT = "patient"


class Language(StrEnum):
    FR = "fr"
    EN = "en"
