"""What a patient can choose to share, in kinds of reading.

A choice on the sharing page is one kind, and may carry companion kinds the
patient would not think of apart from it: sharing oxygen saturation shares
the continuous oximeter's readings too, sharing temperature the thermometer's
running value. Grants and codes store the expanded kinds (what access checks
read); texts show the choice alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from devices.reading import Kind

#: The choices on the patient's sharing page, in the order shown.
SHAREABLE: tuple[Kind, ...] = (
    Kind.WEIGHT,
    Kind.BLOOD_PRESSURE,
    Kind.GLUCOSE,
    Kind.BODY_COMPOSITION,
    Kind.SPO2,
    Kind.TEMPERATURE,
)

#: A choice -> the kinds shared with it.
COMPANIONS: Mapping[Kind, tuple[Kind, ...]] = {
    Kind.SPO2: (Kind.SPO2_CONTINUOUS,),
    Kind.TEMPERATURE: (Kind.INTERMEDIATE_TEMPERATURE,),
}


def with_companions(kinds: Iterable[Kind | str]) -> list[str]:
    """The kinds chosen and their companions, sorted values; ValueError on an unknown one."""
    chosen = {Kind(k) for k in kinds}
    return sorted(
        {k.value for k in chosen} | {c.value for k in chosen for c in COMPANIONS.get(k, ())}
    )


def choices(kinds: Iterable[str]) -> list[str]:
    """The kinds as the patient chose them: a companion of a chosen kind is not repeated."""
    present = set(kinds)
    hidden = {c.value for lead, extra in COMPANIONS.items() if lead.value in present for c in extra}
    return sorted(present - hidden)
