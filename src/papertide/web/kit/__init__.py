"""What every web area shares: dependencies, auth and CSRF, problems, templating, conditional GET, the shared
response models and parameters.
"""
