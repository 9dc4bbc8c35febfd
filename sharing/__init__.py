"""Sharing: nothing about a patient leaves them unless they chose so, and they see who looked.

Modules, one job each:

- `sharing.models`        tables on `veille.db.Base` (patients, care teams, professionals,
                          enrolments, grants, access codes and their sessions, code attempts,
                          break-glass, patient notifications, audit log)
- `sharing.identities`    create and list patients, teams, professionals, enrolments, on-call
- `sharing.grants`        create / renew / revoke / list grants (end date required)
- `sharing.codes`         temporary access codes: create, list, revoke, redeem
- `sharing.ratelimit`     guessing limits for codes, per source and overall
- `sharing.breakglass`    emergency access with a reason; the patient is notified
- `sharing.access`        `authorize`: the one decision every read goes through, audited
- `sharing.decisions`     the rule for professionals: grants, then break-glass, then why not
- `sharing.recipients`    `alert_recipients`: who may receive an alert on a kind
- `sharing.visibility`    whose patients a professional's list holds, which alerts it shows
- `sharing.audit`         audit rows, and the patient's log as plain sentences
- `sharing.notifications` notices on the patient's page (and `device_notice` for alerts)
- `sharing.reminders`     a notice before a grant ends (`veille sharing daily`)
- `sharing.texts`         every patient-facing sentence in French and English
- `sharing.device_texts`  what the patient reads about a device problem (FR, EN)
- `sharing.kinds`         what a patient can choose to share, in kinds of reading
- `sharing.daily`         the daily housekeeping: reminders, old code attempts forgotten
- `sharing.capability`    accessors, `Capability`, `Recipient` (what other packages hold)
- `sharing.terms`         closed vocabularies (purposes, reasons, roles, ...)
- `sharing.policy`        limits of codes and break-glass (`CodePolicy`, `BreakGlassPolicy`)
- `sharing.settings`      the ``[sharing]`` section (pepper from a file or the environment)
- `sharing.fhir`          grants as FHIR ``Consent``, audit rows as ``AuditEvent``
- `sharing.errors`        `InvalidRequest` (a request that breaks a sharing rule)
- `sharing.cli`           ``veille sharing ...`` admin commands
- `sharing.demo`          a varied demo world (`seed_demo`, ``veille sharing demo-seed``)
- `sharing/migrations/`   this package's Alembic branch (``sharing``)

See docs/sharing-and-privacy.md for the decisions and how web and alerts use it.
"""
