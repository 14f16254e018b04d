"""The demo shop generator behind ``python manage.py seed_demo``.

Two halves with a frame-shaped seam between them:

* ``generate`` (with ``seasons``, ``products``, ``sales``, ``traffic``, ``promotions`` and
  ``words``) is pure and deterministic: from a seed, an end date and a size it builds pandas
  DataFrames for every table of a believable shop. No database, no wall clock, no global
  random state, so the same inputs always give the same frames.
* ``write`` puts those frames into the database in one transaction per store, with bulk
  ``executemany`` on SQLite and ``COPY`` on PostgreSQL, and ensures the demo login.
"""
