"""What the patient reads: the audit log in plain French and English, and the catalogue itself."""

from __future__ import annotations

import string

import pytest
from sqlalchemy.orm import Session, sessionmaker

from devices.reading import FLAGS, Kind
from sharing.access import authorize
from sharing.audit import audit_for_patient
from sharing.breakglass import open_break_glass
from sharing.capability import ProfessionalUser
from sharing.codes import create_code
from sharing.grants import renew_grant, revoke_grant
from sharing.notifications import device_notice, notifications_for_patient, notify
from sharing.reminders import remind_ending
from sharing.terms import Language, Purpose, Reason
from sharing.texts import CATALOGUE, PLAIN_REASONS, text
from tests.sharing.conftest import NOW, World, later, share
from veille.errors import NotAllowed


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_text_exists_in_french_and_english_with_the_same_fields(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == set(Language)
    assert entry[Language.FR].strip()
    assert entry[Language.EN].strip()
    assert fields(entry[Language.FR]) == fields(entry[Language.EN])


def test_every_kind_and_plain_reason_has_words() -> None:
    for kind in Kind:
        assert f"kind.{kind.value}" in CATALOGUE
    for reason in PLAIN_REASONS:
        assert Reason(reason)
        assert f"reason.{reason}" in CATALOGUE


def test_patient_reads_who_looked_when_and_why(
    factory: sessionmaker[Session], world: World
) -> None:
    nurse = ProfessionalUser(world.nurse)
    with factory() as s:
        grant = share(
            s, world.alice, [Kind.WEIGHT, Kind.GLUCOSE], alerts=True, team_id=world.cardio, days=90
        )
        s.commit()
        grant_id = grant.id
    with factory() as s:
        authorize(s, nurse, world.alice, Kind.WEIGHT, Purpose.VIEW, later(hours=1))
    with factory() as s:
        authorize(s, nurse, world.alice, Kind.GLUCOSE, Purpose.EXPORT, later(hours=2))
    with factory() as s, pytest.raises(NotAllowed):
        authorize(
            s,
            ProfessionalUser(world.stranger),
            world.alice,
            Kind.WEIGHT,
            Purpose.VIEW,
            later(hours=3),
        )
    with factory() as s:
        revoke_grant(s, grant_id, patient_id=world.alice, now=later(hours=4))
        s.commit()
    with factory() as s, pytest.raises(NotAllowed):
        authorize(s, nurse, world.alice, Kind.WEIGHT, Purpose.VIEW, later(hours=5))
    with factory() as s:
        open_break_glass(
            s, world.doctor, world.alice, "Chute signalée par la famille", now=later(hours=6)
        )
        create_code(s, world.alice, kinds=[Kind.BLOOD_PRESSURE], now=later(hours=7), label="Dr Lee")
        s.commit()
    with factory() as s:
        # Paris: the code ends after the switch to summer time (29 March), the grant in June
        fr = audit_for_patient(s, world.alice, lang="fr", time_zone="Europe/Paris")
        en = audit_for_patient(s, world.alice, lang=Language.EN)
    assert [line.text for line in fr] == [
        "Vous avez créé un code d'accès (tension artérielle) valable jusqu'au 2026-03-29 18:00.",
        "Dr Martin a ouvert un accès d'urgence à toutes vos mesures jusqu'au 2026-03-28 20:00. "
        "Raison donnée : « Chute signalée par la famille ».",
        "Infirmière Claire a essayé de voir : poids. Refusé (vous avez arrêté le partage).",
        "Vous avez arrêté le partage avec l'équipe « Cardiologie Nord ».",
        "Infirmier Paul a essayé de voir : poids. Refusé (rien n'est partagé).",
        "Infirmière Claire a téléchargé : glycémie.",
        "Infirmière Claire a consulté : poids.",
        "Vous avez partagé glycémie, poids avec l'équipe « Cardiologie Nord » "
        "jusqu'au 2026-06-26 11:00.",
    ]
    assert [line.text for line in en][2:7] == [
        "Infirmière Claire tried to see: weight. Refused (you stopped sharing).",
        "You stopped sharing with the team “Cardiologie Nord”.",
        "Infirmier Paul tried to see: weight. Refused (nothing is shared).",
        "Infirmière Claire downloaded: blood sugar.",
        "Infirmière Claire looked at: weight.",
    ]
    assert [line.at for line in fr][-3:] == [later(hours=2), later(hours=1), NOW]
    # paging backwards
    with factory() as s:
        first = audit_for_patient(s, world.alice, limit=3)
        rest = audit_for_patient(s, world.alice, before_id=first[-1].id)
    assert [line.id for line in first + rest] == [line.id for line in fr]
    # bob's log holds nothing of alice's
    with factory() as s:
        assert audit_for_patient(s, world.bob) == []


def test_text_falls_back_to_french_for_an_unknown_language() -> None:
    assert text("kind.weight", "de") == "poids"


@pytest.mark.parametrize(
    ("kind", "problem", "flags", "fr", "en"),
    [
        (
            Kind.BLOOD_PRESSURE,
            "flag",
            ["cuff_loose", "body_movement"],
            "Vérifiez votre tensiomètre : vous avez bougé pendant la mesure, "
            "le brassard était trop lâche. Refaites la mesure si besoin.",
            "Please check your blood pressure monitor: you moved during the measurement, "
            "the cuff was too loose. Take the measurement again if needed.",
        ),
        (
            Kind.WEIGHT,
            "implausible",
            [],
            "Vérifiez votre balance : la valeur semble impossible (appareil mal posé, "
            "ou une autre personne ?). Refaites la mesure si besoin.",
            "Please check your scale: the value looks impossible (device badly placed, "
            "or someone else?). Take the measurement again if needed.",
        ),
        (
            None,
            "something_new",
            [],
            "Vérifiez votre appareil : l'appareil a signalé un problème. "
            "Refaites la mesure si besoin.",
            "Please check your device: the device reported a problem. "
            "Take the measurement again if needed.",
        ),
    ],
    ids=["bp-flags", "implausible-weight", "unknown-problem"],
)
def test_device_problem_notice_in_both_languages(
    factory: sessionmaker[Session],
    world: World,
    kind: Kind | None,
    problem: str,
    flags: list[str],
    fr: str,
    en: str,
) -> None:
    with factory() as s:
        device_notice(s, world.alice, kind, problem, flags, now=NOW)
        s.commit()
        [notice_fr] = notifications_for_patient(s, world.alice, lang="fr")
        [notice_en] = notifications_for_patient(s, world.alice, lang="en")
    assert (notice_fr.text, notice_en.text) == (fr, en)


def test_every_device_flag_reads_in_plain_words() -> None:
    device_flags = FLAGS - {
        "pulse_rate_high",  # clinical, judged by the rules, not a device fault
        "pulse_rate_low",
        "result_too_high",  # the meter's HI / LO: a clinical value
        "result_too_low",
        "control_solution",  # never shown: not a measurement of anyone
        "stored_error_record",
        "device_clock_unreliable",  # the gateway corrects it
        # pulse oximeter status that describes the data, not a problem with it
        "measurement_ongoing",
        "early_estimated_data",
        "validated_data",
        "fully_qualified_data",
        "data_from_measurement_storage",
        "extended_display_update_ongoing",
        "signal_analysis_ongoing",
        "data_for_demonstration",  # never shown: not a measurement of anyone
        "data_for_testing",
    }
    assert {f"flag.{flag}" for flag in device_flags} <= set(CATALOGUE)


def test_a_notice_needs_its_words_in_the_catalogue(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        with pytest.raises(KeyError):
            notify(s, world.alice, "notify.nothing_like_this", {}, now=NOW)
        with pytest.raises(KeyError):
            notify(
                s, world.alice, "notify.check_device", {"device__keys": "device.toaster"}, now=NOW
            )


def test_a_whole_page_read_names_only_the_kinds_it_showed(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        share(s, world.alice, [Kind.WEIGHT], alerts=False, professional_id=world.gp, days=9)
        s.commit()
    with factory() as s:
        authorize(s, ProfessionalUser(world.gp), world.alice, None, Purpose.VIEW, later(hours=1))
    with factory() as s:
        open_break_glass(s, world.nurse, world.alice, "Chute signalée par la famille", now=NOW)
    with factory() as s:
        authorize(s, ProfessionalUser(world.nurse), world.alice, None, Purpose.VIEW, later(hours=1))
    with factory() as s:
        lines = [line.text for line in audit_for_patient(s, world.alice, lang="en")]
    assert lines[:2] == [
        "Infirmière Claire looked at: all your measurements.",
        "Dr Durand looked at: weight.",
    ]


def test_the_patient_is_reminded_once_before_a_grant_ends(
    factory: sessionmaker[Session], world: World
) -> None:
    with factory() as s:
        grant = share(
            s, world.alice, [Kind.WEIGHT, Kind.BLOOD_PRESSURE], alerts=True, team_id=world.cardio
        )
        share(s, world.alice, [Kind.GLUCOSE], alerts=False, professional_id=world.gp, days=20)
        s.commit()
        assert remind_ending(s, later(days=5)) == 0  # nothing ends within 14 days yet
        assert remind_ending(s, later(days=10)) == 1  # the 20-day grant
        assert remind_ending(s, later(days=11)) == 0  # already reminded
        assert remind_ending(s, later(days=17)) == 1  # now the 30-day one
        renew_grant(s, grant.id, patient_id=world.alice, ends_at=later(days=60), now=later(days=18))
        assert remind_ending(s, later(days=50)) == 1  # a renewed grant is reminded again
        s.commit()
        texts = [n.text for n in notifications_for_patient(s, world.alice, lang="fr")]
    assert texts[-1] == (
        "Votre partage (glycémie) avec Dr Durand se termine le 2026-04-17 11:00. "
        "Pour le continuer, prolongez-le sur votre page « Partage » ; sinon, rien à faire."
    )
    assert texts[-2].startswith(
        "Votre partage (tension artérielle, poids) avec Cardiologie Nord se termine le"
    )
