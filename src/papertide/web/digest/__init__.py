"""The digest's pages and API: subscribe, confirm, manage, preview, unsubscribe."""
