"""Web layer: the Flask application, its HTTP APIs, and the ``fzkg`` command line that mirrors them."""
