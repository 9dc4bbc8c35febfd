"""The web app (FastAPI): the care team's pages, the patient's pages, the API and FHIR.

Decisions live in the packages above (`sharing`, `alerts`); routes ask, through
`web.deps`, and render. See docs/architecture.md, "Where to start".

- `accounts`: Accounts: create, sign in (argon2, throttled per account and source), sessions.
- `alert_actions`: Acknowledge and resolve from the inbox, with who did it kept on the alert's
  timeline.
- `app`: `create_app(settings) -> FastAPI`: the care team's dashboard, the patient's pages, the
  API.
- `charts`: Charts drawn on the server as inline SVG: no script, no CDN, readable without
  JavaScript.
- `chartviews`: A patient's charts for one capability: which kinds, which bands, which references.
- `cli`: `veille web`: serve the web app (uvicorn); `veille web add-account`: a sign-in for
  someone.
- `deps`: Typed dependencies: the database session, the store, the clock, who is signed in, and the
  one authorisation step every patient-data route goes through.
- `fhir`: Readings as FHIR R4 ``Observation`` resources (vital-signs profiles, LOINC, UCUM).
- `fhir_search`: FHIR search parameters for Observation: ``code`` (token) and ``date`` (prefix +
  value).
- `housekeeping`: Sharing's daily job inside the web app: reminders of grants ending soon appear
  without anyone having to schedule `veille sharing daily`; sign-in throttle runs that have ended
  are dropped in the same pass.
- `inbox_view`: What the alert inbox shows: the alerts a filter picks, each with its context.
- `i18n`: The web's own words in French and English, and which language a request reads.
- `localnum`: Numbers and moments as a reader of the page's language writes them (Babel's CLDR
  data).
- `metric_labels`: What each metric is called on a page, in French and English, with the unit a
  person reads.
- `migrations/`: its Alembic branch
- `models`: Web accounts and their sign-in sessions, on the one `veille.db.Base`.
- `readings_table`: The readings table of one kind: clinical column order, flags in words, the
  device, CSV.
- `routes/`: Routers: sign-in, care team pages, patient pages, access-code view, JSON/FHIR API.
- `schemas`: Pydantic models of the JSON API: what every `/api/v1` route returns, for OpenAPI.
- `settings`: ``[web]`` settings: where the data is, how cookies behave, where the secret key
  lives.
- `static/`: CSS, scripts and icons served as is
- `summary`: The one-page summary a physician prints (or saves as PDF) for a consultation.
- `targets_form`: The targets editor: which rule parameters a physician may change, in words, and
  how a typed value is read and checked before `alerts.sqlstore.DbTargets.set` records it.
- `templates/`: Jinja pages
- `throttle`: Sign-in throttling: each attempt is reserved in one atomic statement before the
  password is checked.
- `triage`: What the triage list needs per patient, computed once and reused for a short while.
- `triage_list`: The triage list's rows: state per patient, search, filter, sort.
- `views`: What the pages show, computed from sharing, alerts and the store for one capability.
"""
