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
- `sharing.recipients`    `alert_recipients`: who may receive an alert on a kind
- `sharing.audit`         audit rows, and the patient's log as plain sentences
- `sharing.notifications` notices on the patient's page
- `sharing.texts`         every patient-facing sentence in French and English
- `sharing.capability`    accessors, `Capability`, `Recipient` (what other packages hold)
- `sharing.terms`         closed vocabularies (purposes, reasons, roles, ...)
"""
