"""`make bench`: the store under load, each figure beside the ceiling of the same server measured in the same run."""
