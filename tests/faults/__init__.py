"""Fault injection: a killed consumer, a stopped database, a flushed queue, malformed input.

The fourth fault of issue 8, the Stripe server down (payment answers 502 and the order is still payable once it
returns), is already proven against a real localstripe by
tests/integration/payments/test_pay_api.py::test_stripe_unreachable_is_502_and_the_order_stays_payable.
"""
