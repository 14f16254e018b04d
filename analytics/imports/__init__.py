"""Imports of shop data (orders, refunds, SKUs, customers, events, ad spend) from the files
operators have: Taobao/Tmall and Shopify exports and the generic templates, CSV or XLSX.

``reading`` turns a file into rows (encoding and delimiter detected, streamed), ``presets``
maps a platform's headers and values onto the generic fields (one TOML file per preset),
``values`` parses money and dates, ``kinds`` validates and writes each kind in batches and
``services`` runs a whole file all-or-nothing in one transaction.
"""
