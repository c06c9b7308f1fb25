"""RSS and Atom feeds of what the pages list."""
