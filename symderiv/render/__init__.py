"""Turning derivations into text: printers, the one escape table, Jinja templating and view
models.
"""
