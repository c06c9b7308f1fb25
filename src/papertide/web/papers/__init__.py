"""Papers: the newest listings, one page per paper, and the JSON API over them."""
