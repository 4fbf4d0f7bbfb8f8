"""Dev tool: print what a gateway answers for a topic, to derive a test's expected JSON.

    python -m tests.gateway.kit.probe TOPIC 'query { ... }' ['{"var": 1}']

Runs against GATEWAY_TESTS_TARGET (set it to `reference` for @apollo/gateway). Also prints
the requests each subgraph received.
"""

import asyncio
import json
import sys

from tests.gateway.kit.federation import load_topic, start_federation


async def _main(fed, query, variables):  # type: ignore[no-untyped-def]
    status, body = await fed.gateway.query(query, variables)
    print(status)
    print(json.dumps(body, indent=2))
    for name, s in fed.subgraphs.items():
        for r in s.requests:
            print(f"--- {name}: {json.dumps(r)[:400]}", file=sys.stderr)


def main() -> None:
    topic, query, *rest = sys.argv[1:]
    variables = json.loads(rest[0]) if rest else None
    with start_federation(load_topic(topic)) as fed:
        asyncio.run(_main(fed, query, variables))


if __name__ == "__main__":
    main()
