"""The shared kernel: event plumbing, outbox, unit of work, relay, inbox, errors and embedded servers.

It knows no bounded context and holds no business rule.
"""
