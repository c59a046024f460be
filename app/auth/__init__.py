"""The auth context: it owns user accounts (normalised email, password hash) and who is signed in.

Other contexts know a user only by id and read the identity from the signed session
(`app.platform.identity`); they learn of new accounts from `auth.user_registered.v1`.
"""

from .api import bp as api_bp
from .views import bp as pages_bp

BLUEPRINTS = [pages_bp]
API_BLUEPRINTS = [api_bp]
