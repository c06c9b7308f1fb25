"""Trending: the home page and its API."""
