"""The HTTP server around the app: protocol and body limits, security headers, OPTIONS, access log."""
