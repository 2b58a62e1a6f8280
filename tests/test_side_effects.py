"""What follows a write is called by name from the code that writes (the settle path, the mirror),
never hung on a model signal: no model of ours has a save, delete or m2m receiver."""

import pytest
from django.apps import apps
from django.db.models import signals

from billing.models import Payment

PRODUCT_PACKAGES = {"mspercury", "customers", "quotes", "billing", "integrations", "portal"}
MODEL_SIGNALS = {
    "pre_save": signals.pre_save,
    "post_save": signals.post_save,
    "pre_delete": signals.pre_delete,
    "post_delete": signals.post_delete,
    "m2m_changed": signals.m2m_changed,
}


def product_models() -> list:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_config.name.split(".")[0] in PRODUCT_PACKAGES
    ]


def hooked() -> list[str]:
    """Each model signal with a receiver on one of our models, as "signal: Model"."""
    return [
        f"{name}: {model.__name__}"
        for model in product_models()
        for name, signal in MODEL_SIGNALS.items()
        if signal.has_listeners(model)
    ]


def test_it_covers_the_models_of_every_app():
    packages = {model._meta.app_config.name.split(".")[0] for model in product_models()}
    assert packages == PRODUCT_PACKAGES


def test_no_model_of_ours_has_a_signal_receiver():
    assert hooked() == []


@pytest.mark.parametrize("name", sorted(MODEL_SIGNALS))
def test_it_sees_a_receiver_once_one_is_connected(name):
    """The check is not blind: a receiver on Payment is found."""
    signal = MODEL_SIGNALS[name]
    uid = "tests.test_side_effects"
    signal.connect(lambda **kwargs: None, sender=Payment, weak=False, dispatch_uid=uid)
    try:
        assert hooked() == [f"{name}: Payment"]
    finally:
        signal.disconnect(sender=Payment, dispatch_uid=uid)
