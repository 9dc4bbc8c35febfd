"""What each metric is called on a page, in French and English, with the unit a person reads.

`devices.reading.METRICS` names metrics for machines (``systolic_mmhg``, UCUM
``mm[Hg]``); chart legends and axes, reading tables and target forms show
these words instead, all from this one table. The web tests fail when a
metric is added to METRICS without its words here.
"""

from __future__ import annotations

from collections.abc import Mapping

from sharing.terms import Language

#: metric: (French, English, unit as printed)
METRIC_NAMES: Mapping[str, tuple[str, str, str]] = {
    # weight scale
    "weight_kg": ("Poids", "Weight", "kg"),
    "bmi": ("IMC", "BMI", "kg/m²"),
    "height_m": ("Taille", "Height", "m"),
    # body composition
    "body_fat_pct": ("Masse grasse", "Body fat", "%"),
    "basal_metabolism_kj": ("Métabolisme de base", "Basal metabolism", "kJ"),
    "muscle_pct": ("Muscle", "Muscle", "%"),
    "muscle_mass_kg": ("Masse musculaire", "Muscle mass", "kg"),
    "fat_free_mass_kg": ("Masse non grasse", "Fat-free mass", "kg"),
    "soft_lean_mass_kg": ("Masse maigre", "Soft lean mass", "kg"),
    "body_water_mass_kg": ("Eau corporelle", "Body water", "kg"),
    "impedance_ohm": ("Impédance", "Impedance", "Ω"),
    # blood pressure
    "systolic_mmhg": ("Systolique", "Systolic", "mmHg"),
    "diastolic_mmhg": ("Diastolique", "Diastolic", "mmHg"),
    "mean_arterial_mmhg": ("Pression artérielle moyenne", "Mean arterial pressure", "mmHg"),
    "pulse_bpm": ("Pouls", "Pulse", "/min"),
    "cuff_pressure_mmhg": ("Pression du brassard", "Cuff pressure", "mmHg"),
    # glucose and its context
    "glucose_mmol_l": ("Glycémie", "Blood glucose", "mmol/L"),
    "carbohydrate_g": ("Glucides", "Carbohydrates", "g"),
    "exercise_duration_s": ("Durée d'exercice", "Exercise duration", "s"),
    "exercise_intensity_pct": ("Intensité d'exercice", "Exercise intensity", "%"),
    "medication_mg": ("Médicament", "Medication", "mg"),
    "medication_ml": ("Médicament", "Medication", "mL"),
    "hba1c_pct": ("HbA1c", "HbA1c", "%"),
    # pulse oximetry
    "spo2_pct": ("Saturation en oxygène", "Oxygen saturation", "%"),
    "pulse_amplitude_index_pct": ("Indice de perfusion", "Perfusion index", "%"),
    "spo2_fast_pct": ("Saturation en oxygène (rapide)", "Oxygen saturation (fast)", "%"),
    "pulse_fast_bpm": ("Pouls (rapide)", "Pulse (fast)", "/min"),
    "spo2_slow_pct": ("Saturation en oxygène (lissée)", "Oxygen saturation (smoothed)", "%"),
    "pulse_slow_bpm": ("Pouls (lissé)", "Pulse (smoothed)", "/min"),
    # thermometry
    "temperature_c": ("Température", "Temperature", "°C"),
}


def metric_unit(metric: str) -> str:
    """The unit as printed (``mmHg``); empty for a name the table does not know."""
    entry = METRIC_NAMES.get(metric)
    return entry[2] if entry else ""


def metric_label(metric: str, lang: Language) -> str:
    """``Poids (kg)`` / ``Weight (kg)``; a name the table does not know is shown as it is
    (a page still renders; the table's test is what catches the omission)."""
    entry = METRIC_NAMES.get(metric)
    if entry is None:
        return metric
    fr, en, unit = entry
    return f"{en if lang is Language.EN else fr} ({unit})"
