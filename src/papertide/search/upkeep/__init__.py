"""Keeping the indexes current: the update of every index, the embedding job, a node's follower."""
