"""The operations the benchmarks send, as request bodies."""

from __future__ import annotations

from typing import Any

import orjson

# The deep query of the public federation benchmarks: users → reviews → product → reviews →
# author → reviews → product, and the same from topProducts, with fields from all four
# subgraphs (shippingEstimate needs price and weight from products: @requires).
DEEP = """\
fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}
"""

# One fetch to one subgraph (products), sent as is to the subgraph for the direct baseline.
ONE_FETCH = "query OneFetch { topProducts { upc name price } }"

# The selection set of users under `copies` aliases: a query with a big plan (many fetches)
# for the planning micro-benchmarks.
_LARGE_BRANCH = """
  %s: users {
    id name username
    reviews { id body product { upc name price weight inStock shippingEstimate
      reviews { id author { id name reviews { id product { upc name inStock } } } } } }
  }
  %s: topProducts(first: %d) {
    upc name inStock shippingEstimate
    reviews { id body author { id username name } }
  }"""


def large(copies: int = 8, tag: str = "") -> str:
    """A large operation; a different `tag` makes a different document with the same plan shape."""
    branches = "".join(
        _LARGE_BRANCH % (f"u{n}{tag}", f"p{n}{tag}", 1 + n % 5) for n in range(copies)
    )
    return f"query Large {{{branches}\n}}\n"


def body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    request: dict[str, Any] = {"query": query}
    if variables:
        request["variables"] = variables
    return orjson.dumps(request)
