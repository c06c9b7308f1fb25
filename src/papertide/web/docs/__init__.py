"""``/docs``: the API reference page."""
