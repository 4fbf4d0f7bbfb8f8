"""Benchmarks of the gateway against @apollo/gateway and @graphql-hive/gateway.

python -m bench            subgraphs → each gateway → correctness check → warm-up → load
  ├─ subgraphs.py          the four benchmark subgraphs (fixed data, graphql-core)
  ├─ memo_server.py        a minimal HTTP server answering each distinct body from a memo
  ├─ oracle.py             the same graph as one schema: the expected responses
  ├─ gateways.py           how each gateway is installed, started and probed
  ├─ load.py               wrk (Lua script) or a Python client in its own process
  ├─ micro.py              added latency, plan cache timings and memory
  └─ report.py             table, ratios, targets, JSON, PNG
"""
