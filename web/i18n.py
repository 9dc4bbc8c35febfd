"""The web's own words in French and English, and which language a request reads.

Sentences about sharing (audit lines, notices, kinds) come from
`sharing.texts`; this catalogue holds page titles, labels and buttons.
The language is the ``lang`` cookie (the switch on every page), else the
browser's Accept-Language, else French.
"""

from __future__ import annotations

from collections.abc import Mapping

from sharing.terms import Language

COOKIE = "veille_lang"

_T: Mapping[str, tuple[str, str]] = {
    # (French, English)
    "app": ("Veille", "Veille"),
    "skip": ("Aller au contenu", "Skip to content"),
    "switch": ("English", "Français"),
    "sign_in": ("Se connecter", "Sign in"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "username": ("Identifiant", "User name"),
    "password": ("Mot de passe", "Password"),
    "bad_login": ("Identifiant ou mot de passe incorrect.", "Wrong user name or password."),
    "locked": (
        "Trop d'essais. Réessayez dans quelques minutes.",
        "Too many attempts. Try again in a few minutes.",
    ),
    "triage": ("Patients à voir", "Patients to review"),
    "inbox": ("Alertes", "Alerts"),
    "patient": ("Patient", "Patient"),
    "status": ("État", "Status"),
    "latest": ("Dernières valeurs", "Latest values"),
    "trend": ("Tendance 14 jours", "14-day trend"),
    "adherence": ("Observance", "Adherence"),
    "last_seen": ("Dernière mesure", "Last reading"),
    "stopped": ("ne mesure plus", "stopped measuring"),
    "never": ("jamais", "never"),
    "urgent": ("urgent", "urgent"),
    "warning": ("à surveiller", "warning"),
    "info": ("info", "info"),
    "ok": ("stable", "stable"),
    "open": ("ouverte", "open"),
    "acknowledged": ("vue", "acknowledged"),
    "resolved": ("résolue", "resolved"),
    "severity": ("Gravité", "Severity"),
    "state": ("État", "State"),
    "all": ("toutes", "all"),
    "filter": ("Filtrer", "Filter"),
    "acknowledge": ("Marquer comme vue", "Acknowledge"),
    "resolve": ("Résoudre", "Resolve"),
    "note": ("Note", "Note"),
    "by": ("par", "by"),
    "opened": ("ouverte le", "opened"),
    "charts": ("Courbes", "Charts"),
    "days": ("jours", "days"),
    "readings": ("Mesures", "Readings"),
    "alert_history": ("Historique des alertes", "Alert history"),
    "targets": ("Cibles du patient", "Patient targets"),
    "rule": ("Règle", "Rule"),
    "limits": ("Seuils", "Limits"),
    "reason": ("Motif", "Reason"),
    "save": ("Enregistrer", "Save"),
    "not_shared": ("Non partagé par le patient", "Not shared by the patient"),
    "time": ("Heure", "Time"),
    "value": ("Valeur", "Value"),
    "flags": ("Remarques", "Notes"),
    "no_data": ("Aucune mesure", "No readings"),
    "target_band": ("zone cible", "target band"),
    # triage list and inbox (issue 12)
    "search_patient": ("Rechercher un patient", "Search for a patient"),
    "all_patients": ("tous", "all"),
    "triage_urgent": ("urgent", "urgent"),
    "triage_to_review": ("à revoir", "to review"),
    "triage_stopped": ("ne mesure plus", "stopped measuring"),
    "triage_ok": ("stable", "stable"),
    "patients_word": ("patients", "patients"),
    "times_in": ("heures en", "times in"),
    "missing_kinds": ("Pas de mesure récente :", "No recent reading:"),
    "no_patient_found": ("Aucun patient ne correspond.", "No patient matches."),
    "to_review": ("à revoir", "to review"),
    "needs_review": ("à revoir", "needs review"),
    "all_states": ("tous les états", "every state"),
    "default_view": ("à traiter (ouvertes, vues, à revoir)", "to work on (open, seen, to review)"),
    "context": ("Mesures autour de l'alerte", "Readings around the alert"),
    "raised_it": ("a déclenché l'alerte", "raised the alert"),
    "cleared_it": ("a clos l'alerte", "cleared the alert"),
    "review": ("Revue", "Review"),
    "review_note": ("Note de revue", "Review note"),
    "mark_reviewed": ("Marquer comme revue", "Mark reviewed"),
    "history": ("Historique", "History"),
    "all_readings": ("Toutes les mesures", "All readings"),
    "to_review_nav": ("à revoir", "to review"),
    "alert": ("Alerte", "Alert"),
    # patient pages
    "me_home": ("Mon espace", "My page"),
    "my_devices": ("Mes appareils", "My devices"),
    "device_last": ("a envoyé une mesure le", "last sent a reading on"),
    "my_values": ("Mes dernières mesures", "My recent values"),
    "sharing": ("Qui peut voir quoi", "Who can see what"),
    "recipient": ("Avec qui", "With whom"),
    "what": ("Quelles mesures", "Which measurements"),
    "until": ("Jusqu'au", "Until"),
    "with_alerts": ("reçoit les alertes", "receives alerts"),
    "stop_sharing": ("Arrêter de partager", "Stop sharing"),
    "share": ("Partager", "Share"),
    "share_with": ("Partager avec", "Share with"),
    "my_team": ("mon équipe de soins", "my care team"),
    "send_alerts": ("Envoyer aussi les alertes", "Also send alerts"),
    "nothing_shared": ("Vous ne partagez rien pour l'instant.", "You share nothing yet."),
    "codes": ("Codes d'accès temporaires", "Temporary access codes"),
    "new_code": ("Créer un code", "Create a code"),
    "code_for": ("Pour qui (votre note)", "For whom (your note)"),
    "code_allow_downloads": (
        "Permettre aussi de télécharger ces mesures (fichier pour un logiciel de santé)",
        "Also allow downloading these measurements (a file for health software)",
    ),
    "code_charts_only": ("graphiques seulement", "charts only"),
    "code_downloads": ("graphiques et téléchargement", "charts and download"),
    "hours": ("Valable (heures)", "Valid for (hours)"),
    "your_code": (
        "Votre code, à lire au professionnel :",
        "Your code, to read to the professional:",
    ),
    "cancel_code": ("Annuler ce code", "Cancel this code"),
    "uses": ("utilisations", "uses"),
    "who_looked": ("Qui a regardé mes données", "Who looked at my data"),
    "download": ("Télécharger toutes mes données", "Download all my data"),
    "jsonl": ("Fichier JSON lines", "JSON lines file"),
    "fhir": ("Format FHIR (pour un logiciel médical)", "FHIR format (for medical software)"),
    "notices": ("Messages", "Messages"),
    "unread_count": ("{n} non lu(s)", "{n} unread"),
    "new_notice": ("Nouveau", "New"),
    "mark_read": ("Marquer comme lu", "Mark as read"),
    "mark_all_read": ("Tout marquer comme lu", "Mark all as read"),
    "renew": ("Prolonger", "Extend"),
    "renew_until": ("Prolonger jusqu'au", "Extend until"),
    "renew_bad_end": (
        "La nouvelle date de fin doit être après aujourd'hui et au plus {days} jours "
        "plus tard. Choisissez une date plus proche ; vous pourrez prolonger encore ensuite.",
        "The new end date must be after today and at most {days} days away. "
        "Choose an earlier date; you can extend again later.",
    ),
    "renew_revoked": (
        "Ce partage a été arrêté : il ne peut plus être prolongé. "
        "Pour partager de nouveau, créez un partage ci-dessous.",
        "This sharing was stopped and cannot be extended. "
        "To share again, create a new share below.",
    ),
    "active": ("actif", "active"),
    "expired": ("expiré", "expired"),
    "revoked": ("arrêté", "stopped"),
    "scheduled": ("à venir", "scheduled"),
    "exhausted": ("épuisé", "used up"),
    "redeem": ("Accès avec un code", "Access with a code"),
    "code": ("Code", "Code"),
    "your_name": ("Votre nom", "Your name"),
    "open_view": ("Voir les mesures", "View measurements"),
    "code_refused": ("Ce code ne peut pas être utilisé.", "This code cannot be used."),
    "read_only_until": ("Lecture seule, jusqu'au", "Read only, until"),
    "forbidden": ("Accès non autorisé", "Access not allowed"),
    "forbidden_text": (
        "Ces données ne sont pas partagées avec vous.",
        "This data is not shared with you.",
    ),
    "not_found": ("Page introuvable", "Page not found"),
    "break_glass": ("Accès d'urgence", "Emergency access"),
    "justification": (
        "Pourquoi un nouvel accès d'urgence est nécessaire (lu par le responsable d'équipe)",
        "Why emergency access is needed again (read by the team lead)",
    ),
    "justification_needed": (
        "Votre équipe a déjà ouvert un accès d'urgence à ce patient il y a moins de 24 heures. "
        "Écrivez pour le responsable d'équipe pourquoi il faut le rouvrir "
        "(20 caractères au moins).",
        "Your team opened emergency access to this patient less than 24 hours ago. "
        "Write for the team lead why it must be opened again (at least 20 characters).",
    ),
    "break_glass_review": ("Accès d'urgence de l'équipe", "The team's emergency accesses"),
    "break_glass_review_text": (
        "Les accès d'urgence ouverts par l'équipe ces 90 derniers jours, les plus récents "
        "d'abord. Un accès rouvert à la suite d'un autre porte la justification écrite.",
        "Emergency accesses opened by the team in the last 90 days, newest first. One opened "
        "again right after another carries the justification written for it.",
    ),
    "break_glass_none": ("Aucun accès d'urgence.", "No emergency access."),
    "break_glass_in_a_row": ("Rouvert à la suite", "Opened again in a row"),
    "break_glass_open": (
        "Accès d'urgence ouvert : toutes les mesures et alertes de ce patient sont visibles "
        "jusqu'au",
        "Emergency access open: every measurement and alert of this patient is shown until",
    ),
    "break_glass_text": (
        "Pour une urgence seulement : toutes les mesures pendant 4 heures. "
        "Le patient est prévenu tout de suite, avec votre motif.",
        "For an emergency only: every measurement for 4 hours. "
        "The patient is told at once, with your reason.",
    ),
    # charts, readings, targets, summary, form errors (issue 12, items 4-6, 8-10)
    "target_zone": ("zone cible {low} à {high}", "target {low} to {high}"),
    "target_from": ("zone cible à partir de {low}", "target from {low}"),
    "target_upto": ("zone cible jusqu'à {high}", "target up to {high}"),
    "zone_caption": ("Dates et heures : {zone}", "Dates and times: {zone}"),
    "stats": (
        "{label} : dernière valeur {last} ({when}), minimum {min}, maximum {max}, "
        "moyenne {mean} — {n} mesures",
        "{label}: last value {last} ({when}), minimum {min}, maximum {max}, "
        "mean {mean} — {n} readings",
    ),
    "stats_none": ("{label} : aucune mesure sur la période", "{label}: no reading in this period"),
    "no_device": (
        "{kind} : partagé, mais aucun appareil ni aucune mesure pour l'instant (pas de courbe).",
        "{kind}: shared, but no device and no reading yet (no chart).",
    ),
    "reference": ("Référence {value}", "Reference {value}"),
    "alert_level": ("Seuil d'alerte {value}", "Alert level {value}"),
    "reference_note": (
        "La règle « prise de poids » compare chaque pesée au poids {how} entre {a} et {b} "
        "avant : {value} aujourd'hui ; elle alerte au-delà de {limit} (+{amount}).",
        "The weight-gain rule compares each weighing with the {how} weight between {a} and "
        "{b} before: {value} today; it alerts above {limit} (+{amount}).",
    ),
    "lowest": ("le plus bas", "lowest"),
    "median": ("médian", "median"),
    "hours_ago": ("{n} h", "{n} h"),
    "days_ago": ("{n} jours", "{n} days"),
    "my_charts": ("Mes courbes", "My charts"),
    "device": ("Appareil", "Device"),
    "export_csv": ("Exporter en CSV", "Export as CSV"),
    "op.<": ("alerte en dessous de", "alert below"),
    "op.<=": ("alerte à cette valeur ou moins", "alert at this value or lower"),
    "op.>": ("alerte au-dessus de", "alert above"),
    "op.>=": ("alerte à partir de", "alert from"),
    "mean_of": ("moyenne sur la période", "mean over the period"),
    "window_days": ("Période de la moyenne (jours)", "Averaging period (days)"),
    "gain_amount": ("Prise de poids qui alerte (kg)", "Weight gain that alerts (kg)"),
    "loss_amount": ("Perte de poids qui alerte (kg)", "Weight loss that alerts (kg)"),
    "change_pct": ("Variation qui alerte (% du poids)", "Change that alerts (% of weight)"),
    "urgent_amount": ("Prise de poids urgente (kg)", "Urgent weight gain (kg)"),
    "over_days": ("Sur (jours)", "Over (days)"),
    "not_a_number": (
        "Ce n'est pas un nombre. Écrivez par exemple 95 ou 95,5.",
        "This is not a number. Write for example 95 or 95.5.",
    ),
    "out_of_range": (
        "Valeur impossible ici : choisissez entre {low} et {high}{unit}.",
        "Not a possible value here: choose between {low} and {high}{unit}.",
    ),
    "low_not_below_high": (
        "Ce seuil bas doit rester en dessous du seuil haut de {high} {unit} ({rule}).",
        "This low limit must stay below the high limit of {high} {unit} ({rule}).",
    ),
    "high_not_above_low": (
        "Ce seuil haut doit rester au-dessus du seuil bas de {low} {unit} ({rule}).",
        "This high limit must stay above the low limit of {low} {unit} ({rule}).",
    ),
    "reason_needed": (
        "Dites pourquoi en quelques mots (3 caractères au moins).",
        "Say why in a few words (at least 3 characters).",
    ),
    "target_saved": (
        "Cible enregistrée : {rule} (version {version}).",
        "Target saved: {rule} (version {version}).",
    ),
    "other_kinds": (
        "Règles des mesures que ce patient ne fait pas ({kinds})",
        "Rules of measurements this patient does not take ({kinds})",
    ),
    "version": ("version", "version"),
    "sharing_refused": (
        "Ce choix n'a pas pu être enregistré : vérifiez avec qui vous partagez, quelles "
        "mesures et pour combien de temps, puis réessayez. Rien n'a été changé.",
        "This choice could not be saved: check with whom you share, which measurements "
        "and for how long, then try again. Nothing was changed.",
    ),
    "glass_reason": (
        "Dites pourquoi l'accès est urgent (10 caractères au moins) : le patient le lira.",
        "Say why access is urgent (at least 10 characters): the patient will read it.",
    ),
    "share_below": (
        "Sous {limit} mmol/L : {pct} % des mesures",
        "Below {limit} mmol/L: {pct} % of readings",
    ),
    "share_above": (
        "Au-dessus de {limit} mmol/L : {pct} % des mesures",
        "Above {limit} mmol/L: {pct} % of readings",
    ),
    "by_engine": ("retour à la normale constaté par Veille", "back to normal, seen by Veille"),
    "period": ("Du {start} au {end} ({zone})", "From {start} to {end} ({zone})"),
    "per_week": ("Mesures par semaine", "Readings per week"),
    "mean": ("Moyenne", "Mean"),
    "minimum": ("Minimum", "Minimum"),
    "maximum": ("Maximum", "Maximum"),
    "count": ("Mesures", "Readings"),
    "personal_target": ("cible propre au patient", "this patient's own target"),
    "print_hint": (
        "Pour imprimer : Ctrl+P (la page tient sur une feuille A4).",
        "To print: Ctrl+P (the page fits one A4 sheet).",
    ),
    "download_pdf": ("Télécharger en PDF", "Download as PDF"),
    "alerts_period": ("Alertes des 30 derniers jours", "Alerts of the last 30 days"),
    "targets_in_force": ("Cibles en vigueur", "Targets in force"),
    "no_alerts": ("Aucune alerte sur la période.", "No alert in this period."),
    "measure": ("Mesure", "Measurement"),
    "no_readings_period": (
        "Aucune mesure partagée sur la période.",
        "No shared reading in this period.",
    ),
    "tick_one": ("Cochez au moins une mesure.", "Tick at least one measurement."),
    "days_range": (
        "Un nombre de jours entier entre 1 et {high}.",
        "A whole number of days between 1 and {high}.",
    ),
    "hours_range": (
        "Un nombre d'heures entier entre 1 et 720 (30 jours).",
        "A whole number of hours between 1 and 720 (30 days).",
    ),
    "invalid_request": ("Demande incomplète", "Incomplete request"),
    "invalid_request_text": (
        "Cette adresse ou ce formulaire contient une valeur qui n'est pas acceptée. "
        "Revenez à la page précédente et réessayez.",
        "This address or form holds a value that is not accepted. "
        "Go back to the previous page and try again.",
    ),
    "end_view": ("Terminer la consultation", "End this view"),
    "view_ended": (
        "La consultation est terminée : ce code ne donne plus accès depuis ce navigateur.",
        "The view has ended: this access no longer works from this browser.",
    ),
    "target_history": ("Modifications des cibles", "Changes to targets"),
    "summary": ("Synthèse pour la consultation", "Summary for a consultation"),
    "fix_below": ("Corrigez les champs signalés ci-dessous.", "Correct the fields marked below."),
    "field_required": ("Ce champ est à remplir.", "This field is required."),
}


def t(key: str, lang: Language) -> str:
    fr, en = _T[key]
    return en if lang is Language.EN else fr


def negotiate(cookie: str | None, accept_language: str | None) -> Language:
    """The cookie's choice, else the first of fr/en the browser prefers, else French."""
    if cookie in ("fr", "en"):
        return Language(cookie)
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("fr", "en"):
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if best is None or quality > best[0]:
            best = (quality, Language(primary))
    return best[1] if best else Language.FR
