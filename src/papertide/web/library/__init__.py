"""The library's pages and API: votes, collections, imports and exports, "For you"."""
