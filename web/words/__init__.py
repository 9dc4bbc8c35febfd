"""Clinical words in French and English: the catalogue, Babel formatting, alert sentences."""

from web.words.alerts import describe, latest_value
from web.words.fmt import Words, zone_of

__all__ = ["Words", "describe", "latest_value", "zone_of"]
