"""Lexware Office (formerly lexoffice): the tax mapping and the one client seam."""
