"""One blueprint per resource; the app factory registers every one listed here."""

from server.handlers.applications import bp as applications_bp
from server.handlers.auth import bp as auth_bp
from server.handlers.bundles import bp as bundles_bp
from server.handlers.cases import bp as cases_bp
from server.handlers.console import bp as console_bp
from server.handlers.conversations import bp as conversations_bp
from server.handlers.departments import bp as departments_bp
from server.handlers.feedback import bp as feedback_bp
from server.handlers.guide import bp as guide_bp
from server.handlers.handoffs import bp as handoffs_bp
from server.handlers.health import bp as health_bp
from server.handlers.labels import bp as labels_bp
from server.handlers.notifications import bp as notifications_bp
from server.handlers.operators import bp as operators_bp
from server.handlers.overdue import bp as overdue_bp
from server.handlers.push_admin import bp as push_admin_bp
from server.handlers.reports import bp as reports_bp
from server.handlers.retirement import bp as retirement_bp
from server.handlers.uploads import bp as uploads_bp
from server.handlers.ws import bp as ws_bp

BLUEPRINTS = (
    health_bp,
    bundles_bp,
    auth_bp,
    operators_bp,
    departments_bp,
    guide_bp,
    retirement_bp,
    conversations_bp,
    labels_bp,
    reports_bp,
    handoffs_bp,
    console_bp,
    applications_bp,
    overdue_bp,
    uploads_bp,
    feedback_bp,
    cases_bp,
    notifications_bp,
    push_admin_bp,
    ws_bp,
)
