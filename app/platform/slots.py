"""Page slots: a context may add a fragment to another context's page without either importing the other.

The composition root wires them: a context's init_app() calls `add(app, "order_page", render_fn)`, and a template
calls `{{ slot("order_page", order_id=order.id) }}`; an empty slot renders nothing, and `has_slot(name)` tells a
template so (when the filling context runs as another service, the page links to that service's own page instead).
"""

from markupsafe import Markup


def add(app, name, render):
    """Register a fragment renderer (keyword arguments in, HTML out) for a named slot."""
    app.extensions.setdefault("slots", {}).setdefault(name, []).append(render)


def init_app(app):
    """Expose `slot(name, **kwargs)` to every template."""
    app.extensions.setdefault("slots", {})

    def slot(name, **kwargs):
        fragments = [render(**kwargs) for render in app.extensions["slots"].get(name, ())]
        return Markup("").join(Markup(f) for f in fragments)

    def has_slot(name):
        return bool(app.extensions["slots"].get(name))

    app.jinja_env.globals["slot"] = slot
    app.jinja_env.globals["has_slot"] = has_slot
