"""One blueprint per resource; the app factory registers every one listed here."""

from server.handlers.bundles import bp as bundles_bp
from server.handlers.health import bp as health_bp

BLUEPRINTS = (health_bp, bundles_bp)
