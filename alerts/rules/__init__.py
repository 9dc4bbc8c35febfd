"""Rule sets shipped with Veille, as data (``default.toml``)."""
