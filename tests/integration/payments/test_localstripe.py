"""The demo Stripe as our launcher runs it: localstripe's answers unchanged, its cost independent of what it holds."""

import io

import pytest
from localstripe import resources

from app.platform import localstripe


def pay(client, amount=1500):
    """Return a confirmed, succeeded PaymentIntent of `amount` cents."""
    return client.v1.payment_intents.create(params={"amount": amount, "currency": "usd",
                                                    "payment_method": "pm_card_visa", "confirm": True})


def charge_of(client, intent):
    """Return the charge of a PaymentIntent, as Stripe shows it now."""
    latest = intent.latest_charge
    return client.v1.charges.retrieve(getattr(latest, "id", latest))


def test_a_charge_shows_exactly_its_own_refunds(stripe_client):
    paid, other = pay(stripe_client), pay(stripe_client, 900)
    stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 500})
    stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 200})
    stripe_client.v1.refunds.create(params={"payment_intent": other.id})

    charge = charge_of(stripe_client, paid)
    assert charge.amount_refunded == 700 and not charge.refunded
    assert sorted(refund.amount for refund in charge.refunds.data) == [200, 500]
    assert charge_of(stripe_client, other).refunded


def test_a_listing_holds_its_kind_only_and_a_reset_empties_it(stripe_client, localstripe_server):
    intents = [pay(stripe_client).id for _ in range(3)]

    listed = stripe_client.v1.payment_intents.list(params={"limit": 100}).data
    assert sorted(intent.id for intent in listed) == sorted(intents)
    assert len(stripe_client.v1.charges.list(params={"limit": 100}).data) == 3

    localstripe.reset(localstripe_server.url)
    assert [intent.id for intent in stripe_client.v1.payment_intents.list().data] == []
    fresh = pay(stripe_client)
    assert [intent.id for intent in stripe_client.v1.payment_intents.list().data] == [fresh.id]


@pytest.fixture
def flat_store():
    """Apply keep_cost_flat to localstripe's store in this process, and give it back as it was afterwards."""
    saved = dict(resources.store)
    cls, listing = type(resources.store), resources.StripeObject.__dict__["_api_list_all"]
    localstripe.keep_cost_flat()
    yield resources.store
    resources.store.__class__ = cls
    dict.clear(resources.store)
    dict.update(resources.store, saved)
    resources.StripeObject._api_list_all = listing


def test_what_the_override_relies_on_still_holds(flat_store, monkeypatch):
    # Every object enters the store through `store[key] = self` in StripeObject.__init__, listings go through
    # StripeObject._api_list_all, and saving opens a file from the resources module: an upgrade that changes any of
    # them makes this fail.
    opened = []
    monkeypatch.setattr(resources, "open", lambda *args: opened.append(args) or io.BytesIO(), raising=False)
    customer = resources.Customer(email="fan@example.com")
    assert f"customer:{customer.id}" in flat_store.by_kind["customer"]
    assert [c.id for c in resources.Customer._api_list_all("/v1/customers")._list] == [customer.id]
    flat_store.dump_to_disk()
    resources.Store.dump_to_disk(flat_store)  # what an unpatched store does: the witness that `open` is watched
    assert opened == [("/tmp/localstripe.pickle", "wb")]
