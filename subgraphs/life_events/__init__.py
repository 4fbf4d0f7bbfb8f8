"""Life events: what happened to a citizen, and what every agency does or needs about it.

This subgraph owns no register. It reads the other agencies' fields through federation
`@requires`, turns them into plain facts, and runs small pure rules over those facts.
"""
