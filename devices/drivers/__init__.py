"""Veille's own drivers for the Bluetooth SIG health profiles.

They register through the ``veille.devices`` entry-point group in
``pyproject.toml``, exactly as a vendor's driver does.
"""
