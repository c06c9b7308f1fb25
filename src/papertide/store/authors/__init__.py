"""Author names as stored: the spellings behind author pages."""
