"""Events the notifications context publishes: none. It only listens (its handlers react to the other contexts)."""
