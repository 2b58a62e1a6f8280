"""EU VIES: VAT ID validation.

Only `integrations.vies.client` talks to VIES (see its docstring); the tests and the demo point
it at the VIES emulator (`emulators.vies`, which is not part of the product).
"""
