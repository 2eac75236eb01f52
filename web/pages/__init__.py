"""HTML pages and their JSON twins; each module exposes ``create_blueprint(context)``."""
