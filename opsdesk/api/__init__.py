"""The REST API core: scoped viewset base, authentication, permissions, throttles, errors,
pagination and the ``/api/v1/`` URL conf. Each app's resources live in ``<app>/api/``."""
