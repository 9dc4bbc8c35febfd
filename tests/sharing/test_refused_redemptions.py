"""Issue 17, finding 6: a refused redemption read "… a utilisé votre code d'accès" in the
patient's access log. It now says who tried, that it was refused, and why."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sharing.audit import audit_for_patient
from sharing.breakglass import open_break_glass
from sharing.codes import codes_for_patient, revoke_code
from tests.sharing.conftest import World, later
from tests.sharing.test_codes import new_code, redeem, redeem_refused
from veille.errors import NotAllowed


def _lines(factory: sessionmaker[Session], patient: str, lang: str) -> list[str]:
    with factory() as s:
        return [line.text for line in audit_for_patient(s, patient, lang=lang)]


def test_fourth_use_of_a_three_use_code_reads_refused(
    factory: sessionmaker[Session], world: World
) -> None:
    code = new_code(factory, world.alice, max_uses=3)
    for _ in range(3):
        redeem(factory, code)
    assert redeem_refused(factory, code, declared_name="Dr Fourth") == "code_exhausted"
    newest_fr = _lines(factory, world.alice, "fr")[0]
    assert newest_fr == (
        "La personne à qui vous avez donné un code (Dr Fourth) a essayé d'utiliser votre "
        "code d'accès. Refusé (code déjà utilisé le nombre de fois prévu)."
    )
    newest_en = _lines(factory, world.alice, "en")[0]
    assert "tried to use your access code. Refused (code already used" in newest_en
    used = [t for t in _lines(factory, world.alice, "en") if t.endswith("used your access code.")]
    assert len(used) == 3  # the three real uses still read as uses


def test_a_revoked_code_tried_again_reads_refused(
    factory: sessionmaker[Session], world: World
) -> None:
    code = new_code(factory, world.alice)
    with factory() as s:
        [view] = codes_for_patient(s, world.alice, now=later(minutes=1))
        revoke_code(s, view.id, patient_id=world.alice, now=later(minutes=1))
        s.commit()
    assert redeem_refused(factory, code, declared_name="Dr Late") == "code_revoked"
    [newest, *_] = _lines(factory, world.alice, "fr")
    assert "a essayé d'utiliser votre code d'accès. Refusé (code annulé)." in newest
    assert "a utilisé votre code" not in newest


def test_a_refused_break_glass_reads_refused(factory: sessionmaker[Session], world: World) -> None:
    """Found on the way: it read "… a ouvert un accès d'urgence" though it was refused."""
    with factory() as s, pytest.raises(NotAllowed):
        open_break_glass(s, world.gp, world.alice, "patient unreachable, worried", now=later())
    [newest, *_] = _lines(factory, world.alice, "en")
    assert newest == (
        "Dr Durand asked for emergency access to your measurements. Refused (this team does "
        "not follow you). Reason given: “patient unreachable, worried”."
    )
