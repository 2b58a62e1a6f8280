"""The rules every app applies: money to the cent, VAT treatments and rates, tax IDs, the legal
wording on documents. Pure: no models, no outside calls; the apps pass facts in."""
