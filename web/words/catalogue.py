"""The clinical words of every page, in French and English: one typed catalogue.

Keyed by message id (``category.hypertensive_crisis``, ``rule.bp_crisis``,
``flag.cuff_loose``, ``alert.threshold``…); each entry is a (French, English)
pair of `str.format` templates whose parameters `web.words.fmt` formats for
the locale with Babel. A Python table rather than gettext ``.po`` files: it
needs no compile step on a clean clone, mypy and ruff read it, and
``tests/web/test_words.py`` checks that every rule, alert category, flag and
metric the code knows has both translations with the same parameters.
Metric names stay in `web.metric_labels` (one row per metric, with its unit)
and are reached through `metric_name`.
"""

from __future__ import annotations

from collections.abc import Mapping

#: (French, English)
Entry = tuple[str, str]

CATEGORIES: Mapping[str, Entry] = {
    "severe_hypoglycemia": ("Hypoglycémie sévère", "Severe hypoglycaemia"),
    "hypoglycemia": ("Hypoglycémie", "Hypoglycaemia"),
    "hyperglycemia": ("Hyperglycémie", "Hyperglycaemia"),
    "hypertensive_crisis": ("Crise hypertensive", "Hypertensive crisis"),
    "hypertension": ("Hypertension", "High blood pressure"),
    "hypotension": ("Hypotension", "Low blood pressure"),
    "tachycardia": ("Tachycardie", "Tachycardia"),
    "bradycardia": ("Bradycardie", "Bradycardia"),
    "weight_gain": ("Prise de poids", "Weight gain"),
    "weight_loss": ("Perte de poids", "Weight loss"),
    "missing_data": ("Mesures absentes", "Missing readings"),
    "device_problem": ("Problème d'appareil", "Device problem"),
    "low_spo2": ("Désaturation", "Low oxygen saturation"),
    "fever": ("Fièvre", "Fever"),
    "hypothermia": ("Hypothermie", "Hypothermia"),
}

#: Each rule of the default set by its clinical name (targets, history, alert details).
RULES: Mapping[str, Entry] = {
    "glucose_level2_hypo": ("Hypoglycémie sévère (niveau 2)", "Severe hypoglycaemia (level 2)"),
    "glucose_level1_hypo": ("Hypoglycémie (niveau 1)", "Hypoglycaemia (level 1)"),
    "glucose_high_confirmed": (
        "Hyperglycémie confirmée (deux mesures)",
        "Confirmed hyperglycaemia (two readings)",
    ),
    "glucose_high_single": ("Hyperglycémie sur une mesure", "Hyperglycaemia on one reading"),
    "glucose_extreme_high": ("Hyperglycémie majeure", "Extreme hyperglycaemia"),
    "bp_crisis": ("Crise hypertensive", "Hypertensive crisis"),
    "bp_home_average": (
        "Moyenne tensionnelle à domicile",
        "Home blood pressure average",
    ),
    "bp_low_confirmed": ("Hypotension confirmée", "Confirmed low blood pressure"),
    "bp_very_low": ("Hypotension sévère", "Very low blood pressure"),
    "pulse_high_confirmed": ("Tachycardie confirmée", "Confirmed tachycardia"),
    "pulse_high_single": ("Tachycardie sur une mesure", "Tachycardia on one reading"),
    "pulse_very_high": ("Tachycardie sévère", "Severe tachycardia"),
    "pulse_low_confirmed": ("Bradycardie confirmée", "Confirmed bradycardia"),
    "pulse_very_low": ("Bradycardie sévère", "Severe bradycardia"),
    "weight_gain_3d": ("Prise de poids en 3 jours", "Weight gain over 3 days"),
    "weight_gain_week": ("Prise de poids en une semaine", "Weight gain over a week"),
    "weight_loss_3d": ("Perte de poids en 3 jours", "Weight loss over 3 days"),
    "weight_loss_month": ("Perte de poids en un mois", "Weight loss over a month"),
    "weight_missing": ("Pesées absentes", "Missing weighings"),
    "bp_missing": ("Mesures de tension absentes", "Missing blood pressure readings"),
    "glucose_missing": ("Glycémies absentes", "Missing glucose readings"),
    "bp_device": ("Problème de tensiomètre", "Blood pressure monitor problem"),
    "glucose_device": ("Problème de lecteur de glycémie", "Glucose meter problem"),
    "weight_device": ("Problème de balance", "Scale problem"),
    "low_spo2": ("Désaturation", "Low oxygen saturation"),
    "spo2_low": ("Désaturation confirmée", "Confirmed low oxygen saturation"),
    "spo2_very_low": ("Désaturation sévère", "Severe low oxygen saturation"),
    "spo2_continuous_low": (
        "Désaturation en enregistrement continu",
        "Low oxygen saturation, continuous recording",
    ),
    "spo2_continuous_very_low": (
        "Désaturation sévère en enregistrement continu",
        "Severe low oxygen saturation, continuous recording",
    ),
    "spo2_continuous_device": (
        "Problème d'oxymètre (enregistrement continu)",
        "Pulse oximeter problem (continuous recording)",
    ),
    "fever_confirmed": ("Fièvre confirmée", "Confirmed fever"),
    "fever_high": ("Fièvre élevée", "High fever"),
    "hypothermia_confirmed": ("Hypothermie confirmée", "Confirmed hypothermia"),
    "spo2_missing": ("Mesures de saturation absentes", "Missing oxygen saturation readings"),
    "spo2_device": ("Problème d'oxymètre", "Pulse oximeter problem"),
    "fever": ("Fièvre", "Fever"),
    "hypothermia": ("Hypothermie", "Hypothermia"),
    "temperature_missing": ("Températures absentes", "Missing temperature readings"),
    "temperature_device": ("Problème de thermomètre", "Thermometer problem"),
}

#: What a device or the gateway said about a reading, as a nurse reads it.
FLAGS: Mapping[str, Entry] = {
    "body_movement": ("mouvement pendant la mesure", "movement during the measurement"),
    "cuff_loose": ("brassard mal serré", "cuff too loose"),
    "irregular_pulse": ("pouls irrégulier", "irregular pulse"),
    "pulse_rate_high": ("pouls au-dessus de la plage", "pulse above range"),
    "pulse_rate_low": ("pouls en dessous de la plage", "pulse below range"),
    "improper_position": ("mauvaise position", "improper position"),
    "device_battery_low": ("pile faible", "battery low"),
    "sensor_malfunction": ("capteur défaillant", "sensor fault"),
    "sample_size_insufficient": ("goutte de sang insuffisante", "blood sample too small"),
    "strip_insertion_error": ("bandelette mal insérée", "strip inserted wrongly"),
    "strip_type_incorrect": ("mauvais type de bandelette", "wrong type of strip"),
    "result_too_high": ("au-dessus de la plage du lecteur (HI)", "above the meter's range (HI)"),
    "result_too_low": ("en dessous de la plage du lecteur (LO)", "below the meter's range (LO)"),
    "temperature_too_high": ("appareil trop chaud", "device too warm"),
    "temperature_too_low": ("appareil trop froid", "device too cold"),
    "read_interrupted": ("lecture interrompue", "reading interrupted"),
    "general_device_fault": ("panne de l'appareil", "device fault"),
    "time_fault": ("horloge de l'appareil fausse", "device clock wrong"),
    "measurement_unsuccessful": ("mesure échouée", "measurement failed"),
    "control_solution": ("solution de contrôle", "control solution"),
    "stored_error_record": ("erreur enregistrée par l'appareil", "error stored by the device"),
    "device_clock_unreliable": (
        "heure de l'appareil peu fiable (heure de réception retenue)",
        "device clock unreliable (time of receipt used)",
    ),
    "device_clock_not_set": ("horloge de l'appareil non réglée", "device clock not set"),
    "measurement_ongoing": ("mesure en cours", "measurement in progress"),
    "early_estimated_data": ("estimation précoce", "early estimate"),
    "validated_data": ("donnée validée", "validated data"),
    "fully_qualified_data": ("donnée entièrement qualifiée", "fully qualified data"),
    "data_from_measurement_storage": ("mesure mémorisée", "stored measurement"),
    "data_for_demonstration": ("donnée de démonstration", "demonstration data"),
    "data_for_testing": ("donnée de test", "test data"),
    "calibration_ongoing": ("étalonnage en cours", "calibration in progress"),
    "measurement_unavailable": ("mesure indisponible", "measurement unavailable"),
    "questionable_measurement_detected": ("mesure douteuse", "questionable measurement"),
    "invalid_measurement_detected": ("mesure invalide", "invalid measurement"),
    "extended_display_update_ongoing": ("affichage en cours", "display updating"),
    "equipment_malfunction_detected": ("appareil défaillant", "equipment fault"),
    "signal_processing_irregularity_detected": (
        "irrégularité du traitement du signal",
        "signal processing irregularity",
    ),
    "inadequate_signal_detected": ("signal insuffisant", "inadequate signal"),
    "poor_signal_detected": ("signal faible", "poor signal"),
    "low_perfusion_detected": ("perfusion faible", "low perfusion"),
    "erratic_signal_detected": ("signal instable", "erratic signal"),
    "nonpulsatile_signal_detected": ("signal non pulsatile", "non-pulsatile signal"),
    "questionable_pulse_detected": ("pouls douteux", "questionable pulse"),
    "signal_analysis_ongoing": ("analyse du signal en cours", "signal analysis in progress"),
    "sensor_interference_detected": ("interférence sur le capteur", "sensor interference"),
    "sensor_unconnected_to_user": ("capteur non posé", "sensor not on the patient"),
    "unknown_sensor_connected": ("capteur inconnu", "unknown sensor"),
    "sensor_displaced": ("capteur déplacé", "sensor displaced"),
    "sensor_malfunctioning": ("capteur défaillant", "sensor malfunctioning"),
    "sensor_disconnected": ("capteur débranché", "sensor disconnected"),
}

#: Short names of the metrics alert messages quote (others use their full name).
METRIC_SHORT: Mapping[str, Entry] = {
    "systolic_mmhg": ("PAS", "SBP"),
    "diastolic_mmhg": ("PAD", "DBP"),
    "mean_arterial_mmhg": ("PAM", "MAP"),
    "pulse_bpm": ("pouls", "pulse"),
    "weight_kg": ("poids", "weight"),
    "glucose_mmol_l": ("glycémie", "glucose"),
    "spo2_pct": ("SpO₂", "SpO₂"),
    "temperature_c": ("température", "temperature"),
}

#: Alert messages by the shape of their parameters (see `web.words.alerts`).
MESSAGES: Mapping[str, Entry] = {
    "alert.threshold": (
        "{category} : {metric} {value} {unit} (seuil {threshold})",
        "{category}: {metric} {value} {unit} (threshold {threshold})",
    ),
    "alert.threshold_confirmed": (
        "{category} : {metric} {value} {unit} sur {count} mesures (seuil {threshold})",
        "{category}: {metric} {value} {unit} on {count} readings (threshold {threshold})",
    ),
    "alert.average": (
        "{category} : moyenne {metric} {value} {unit} sur {count} mesures en {days} jours "
        "(seuil {threshold})",
        "{category}: mean {metric} {value} {unit} over {count} readings on {days} days "
        "(threshold {threshold})",
    ),
    "alert.change": (
        "{category} : {delta} {unit} en {days} jours (seuil {threshold} {unit})",
        "{category}: {delta} {unit} in {days} days (threshold {threshold} {unit})",
    ),
    "alert.missing": (
        "{category} : aucune mesure ({kind}) reçue depuis {hours} h "
        "(habituellement toutes les {usual} h)",
        "{category}: no reading ({kind}) received for {hours} h (usually every {usual} h)",
    ),
    "alert.device": (
        "{category} : vérifier l'appareil ({kind}) — {problem}",
        "{category}: check the device ({kind}) — {problem}",
    ),
    "problem.no_value": ("la mesure n'a pas donné de valeur", "the reading gave no value"),
    "problem.implausible": ("valeur impossible", "impossible value"),
    "problem.other_person": (
        "écart trop grand avec l'habitude : une autre personne ?",
        "too far from the usual: someone else?",
    ),
    "problem.flag": ("{flags}", "{flags}"),
    # how an alert ended, in its history
    "change.opened": ("ouverte", "opened"),
    "change.reopened": ("rouverte", "reopened"),
    "change.escalated": ("aggravée", "escalated"),
    "change.raised_again": ("signalée de nouveau (aggravation)", "raised again (worse)"),
    "change.updated": ("nouvelle valeur", "new value"),
    "change.resolved": ("close", "closed"),
    "change.superseded": ("remplacée par une alerte plus grave", "superseded by a graver alert"),
    "change.acknowledged": ("vue", "acknowledged"),
    "change.snoozed": ("mise en sourdine", "snoozed"),
    "change.escalated_on_call": ("transmise à l'astreinte", "escalated to on call"),
    "change.reviewed": ("revue", "reviewed"),
    "resolution.all_clear": (
        "close automatiquement : mesure revenue dans la cible",
        "closed automatically: reading back within target",
    ),
    "resolution.all_clear_reading": (
        "close automatiquement : mesure revenue dans la cible ({reading})",
        "closed automatically: reading back within target ({reading})",
    ),
    "resolution.superseded": (
        "close : remplacée par une alerte plus grave",
        "closed: superseded by a graver alert",
    ),
    "resolution.by_hand": ("close par {who}", "closed by {who}"),
    "resolution.unknown": ("close", "closed"),
    "review.to_review": ("à revoir", "to review"),
    "review.done": ("revue par {who} le {when}", "reviewed by {who} on {when}"),
    "review.count": ("{n} événement(s) à revoir", "{n} event(s) to review"),
    "review.urgent_count": (
        "{n} événement(s) urgent(s) à revoir",
        "{n} urgent event(s) to review",
    ),
    "review.last": ("Dernière revue : {when} par {who}", "Last reviewed: {when} by {who}"),
    "review.never": ("Jamais revu", "Never reviewed"),
    "op.above": ("≥", "≥"),
    "op.below": ("<", "<"),
}


def entries() -> Mapping[str, Entry]:
    """Every message of the catalogue under its id (the test reads this)."""
    out: dict[str, Entry] = dict(MESSAGES)
    out.update({f"category.{k}": v for k, v in CATEGORIES.items()})
    out.update({f"rule.{k}": v for k, v in RULES.items()})
    out.update({f"flag.{k}": v for k, v in FLAGS.items()})
    out.update({f"metric_short.{k}": v for k, v in METRIC_SHORT.items()})
    return out


def category_name(category: str, lang: str) -> str:
    """An alert category's clinical name (``Crise hypertensive``) in ``lang`` ("fr"/"en")."""
    entry = CATEGORIES.get(category)
    if entry is None:
        return "—"
    return entry[1] if lang == "en" else entry[0]
