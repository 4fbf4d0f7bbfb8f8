"""Test-only toolkit: Federation 2 test subgraphs and a gateway over real HTTP."""
