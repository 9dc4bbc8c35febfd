"""Routers: sign-in, care team pages, patient pages, access-code view, JSON/FHIR API."""
