"""Test doubles of the services MSPercury calls: Stripe's API and the EU's VIES.

Not part of the product: the tests, the demo and the benchmarks start them; the production image
leaves this package out. They import only the standard library (and the `stripe` SDK's parameter
types), never Django or a product app. See emulators/README.md.
"""
