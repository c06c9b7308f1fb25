"""Author pages: a name's papers, co-authors and categories, its feed, and following it in the digest."""
