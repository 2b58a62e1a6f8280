"""EU VIES: VAT ID validation.

Only `integrations.vies.client` talks to VIES (see its docstring). `integrations.vies.emulator`
is the stand-in for the tests and the demo; it imports nothing of Django or the product, so this
package's `__init__` imports nothing either.
"""
