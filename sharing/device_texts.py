"""What the patient reads about a device problem, in French and English.

The "check your device" notice, the device names and every device flag in
plain words (part of `sharing.texts.CATALOGUE`, kept apart because each new
device adds a page of flags).
"""

from __future__ import annotations

from collections.abc import Mapping

from sharing.terms import Language

DEVICE_TEXTS: Mapping[str, Mapping[Language, str]] = {
    # --- "check your device": what alerts sends the patient for a device problem
    "notify.check_device": {
        Language.FR: "Vérifiez votre {device} : {what}. Refaites la mesure si besoin.",
        Language.EN: "Please check your {device}: {what}. Take the measurement again if needed.",
    },
    "device.weight": {Language.FR: "balance", Language.EN: "scale"},
    "device.body_composition": {Language.FR: "balance", Language.EN: "scale"},
    "device.blood_pressure": {Language.FR: "tensiomètre", Language.EN: "blood pressure monitor"},
    "device.intermediate_cuff_pressure": {
        Language.FR: "tensiomètre",
        Language.EN: "blood pressure monitor",
    },
    "device.glucose": {Language.FR: "lecteur de glycémie", Language.EN: "blood sugar meter"},
    "device.glucose_context": {
        Language.FR: "lecteur de glycémie",
        Language.EN: "blood sugar meter",
    },
    "device.spo2": {Language.FR: "oxymètre", Language.EN: "pulse oximeter"},
    "device.spo2_continuous": {Language.FR: "oxymètre", Language.EN: "pulse oximeter"},
    "device.temperature": {Language.FR: "thermomètre", Language.EN: "thermometer"},
    "device.intermediate_temperature": {Language.FR: "thermomètre", Language.EN: "thermometer"},
    "device.any": {Language.FR: "appareil", Language.EN: "device"},
    "problem.no_value": {
        Language.FR: "la mesure n'a pas abouti",
        Language.EN: "the measurement did not work",
    },
    "problem.implausible": {
        Language.FR: "la valeur semble impossible (appareil mal posé, ou une autre personne ?)",
        Language.EN: "the value looks impossible (device badly placed, or someone else?)",
    },
    "problem.other_person": {
        Language.FR: "cette mesure semble être celle d'une autre personne",
        Language.EN: "this measurement looks like someone else's",
    },
    "problem.other": {
        Language.FR: "l'appareil a signalé un problème",
        Language.EN: "the device reported a problem",
    },
    "flag.cuff_loose": {
        Language.FR: "le brassard était trop lâche",
        Language.EN: "the cuff was too loose",
    },
    "flag.body_movement": {
        Language.FR: "vous avez bougé pendant la mesure",
        Language.EN: "you moved during the measurement",
    },
    "flag.improper_position": {
        Language.FR: "le brassard était mal placé",
        Language.EN: "the cuff was not in the right place",
    },
    "flag.irregular_pulse": {
        Language.FR: "l'appareil a détecté un pouls irrégulier",
        Language.EN: "the device detected an irregular pulse",
    },
    "flag.sensor_malfunction": {
        Language.FR: "le capteur est en défaut",
        Language.EN: "the sensor is faulty",
    },
    "flag.device_battery_low": {
        Language.FR: "la pile est faible",
        Language.EN: "the battery is low",
    },
    "flag.sample_size_insufficient": {
        Language.FR: "la goutte de sang était trop petite",
        Language.EN: "the blood drop was too small",
    },
    "flag.strip_insertion_error": {
        Language.FR: "la bandelette était mal insérée",
        Language.EN: "the strip was not inserted properly",
    },
    "flag.strip_type_incorrect": {
        Language.FR: "la bandelette n'est pas du bon type",
        Language.EN: "the strip is not the right type",
    },
    "flag.temperature_too_high": {
        Language.FR: "il faisait trop chaud pour mesurer",
        Language.EN: "it was too hot to measure",
    },
    "flag.temperature_too_low": {
        Language.FR: "il faisait trop froid pour mesurer",
        Language.EN: "it was too cold to measure",
    },
    "flag.read_interrupted": {
        Language.FR: "la mesure a été interrompue",
        Language.EN: "the measurement was interrupted",
    },
    "flag.general_device_fault": {
        Language.FR: "l'appareil signale une panne",
        Language.EN: "the device reports a fault",
    },
    "flag.time_fault": {
        Language.FR: "l'horloge de l'appareil est déréglée",
        Language.EN: "the device's clock is wrong",
    },
    "flag.measurement_unsuccessful": {
        Language.FR: "la pesée n'a pas abouti",
        Language.EN: "the weighing did not work",
    },
    "flag.calibration_ongoing": {
        Language.FR: "l'oxymètre était en cours d'étalonnage",
        Language.EN: "the oximeter was calibrating",
    },
    "flag.measurement_unavailable": {
        Language.FR: "l'oxymètre n'a pas pu mesurer",
        Language.EN: "the oximeter could not measure",
    },
    "flag.questionable_measurement_detected": {
        Language.FR: "l'oxymètre doute de cette mesure",
        Language.EN: "the oximeter doubts this measurement",
    },
    "flag.invalid_measurement_detected": {
        Language.FR: "l'oxymètre indique une mesure non valable",
        Language.EN: "the oximeter says the measurement is not valid",
    },
    "flag.equipment_malfunction_detected": {
        Language.FR: "l'oxymètre signale une panne",
        Language.EN: "the oximeter reports a fault",
    },
    "flag.signal_processing_irregularity_detected": {
        Language.FR: "l'oxymètre a eu du mal à lire le signal",
        Language.EN: "the oximeter had trouble reading the signal",
    },
    "flag.inadequate_signal_detected": {
        Language.FR: "le signal était insuffisant",
        Language.EN: "the signal was not good enough",
    },
    "flag.poor_signal_detected": {
        Language.FR: "le signal était faible",
        Language.EN: "the signal was weak",
    },
    "flag.low_perfusion_detected": {
        Language.FR: "le doigt était peut-être trop froid (peu de circulation)",
        Language.EN: "the finger may have been too cold (little blood flow)",
    },
    "flag.erratic_signal_detected": {
        Language.FR: "le signal était instable (mouvement ?)",
        Language.EN: "the signal was unsteady (movement?)",
    },
    "flag.nonpulsatile_signal_detected": {
        Language.FR: "l'oxymètre ne trouvait pas le pouls",
        Language.EN: "the oximeter could not find the pulse",
    },
    "flag.questionable_pulse_detected": {
        Language.FR: "le pouls mesuré est douteux",
        Language.EN: "the measured pulse is doubtful",
    },
    "flag.sensor_interference_detected": {
        Language.FR: "le capteur a été perturbé (lumière, mouvement)",
        Language.EN: "the sensor was disturbed (light, movement)",
    },
    "flag.sensor_unconnected_to_user": {
        Language.FR: "le capteur n'était pas sur le doigt",
        Language.EN: "the sensor was not on the finger",
    },
    "flag.unknown_sensor_connected": {
        Language.FR: "le capteur branché n'est pas reconnu",
        Language.EN: "the connected sensor is not recognised",
    },
    "flag.sensor_displaced": {
        Language.FR: "le capteur avait glissé",
        Language.EN: "the sensor had slipped",
    },
    "flag.sensor_malfunctioning": {
        Language.FR: "le capteur est en défaut",
        Language.EN: "the sensor is faulty",
    },
    "flag.sensor_disconnected": {
        Language.FR: "le capteur était débranché",
        Language.EN: "the sensor was unplugged",
    },
    # pulse oximeter status that describes the data, not a problem with it (readings table)
    "flag.measurement_ongoing": {
        Language.FR: "mesure en cours",
        Language.EN: "measurement in progress",
    },
    "flag.early_estimated_data": {
        Language.FR: "première estimation de l'oxymètre",
        Language.EN: "the oximeter's early estimate",
    },
    "flag.validated_data": {Language.FR: "mesure validée", Language.EN: "validated measurement"},
    "flag.fully_qualified_data": {
        Language.FR: "mesure confirmée par l'oxymètre",
        Language.EN: "measurement fully qualified by the oximeter",
    },
    "flag.data_from_measurement_storage": {
        Language.FR: "lue dans la mémoire de l'appareil",
        Language.EN: "read from the device's memory",
    },
    "flag.extended_display_update_ongoing": {
        Language.FR: "affichage de l'oxymètre en cours de mise à jour",
        Language.EN: "the oximeter's display was updating",
    },
    "flag.signal_analysis_ongoing": {
        Language.FR: "analyse du signal en cours",
        Language.EN: "signal analysis in progress",
    },
    "flag.data_for_demonstration": {
        Language.FR: "données de démonstration (pas une mesure)",
        Language.EN: "demonstration data (not a measurement)",
    },
    "flag.data_for_testing": {
        Language.FR: "données de test (pas une mesure)",
        Language.EN: "test data (not a measurement)",
    },
    "flag.device_clock_not_set": {
        Language.FR: "l'heure de l'appareil n'est pas réglée",
        Language.EN: "the device's clock is not set",
    },
}
