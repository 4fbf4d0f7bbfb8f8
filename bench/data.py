"""The fixed data every benchmark subgraph serves, and the oracle too.

Six users, six products and twelve reviews: every user wrote two reviews and every product has
two, so each level of the deep query doubles and the response stays around 25 kB.
"""

from __future__ import annotations

from typing import Any

USERS: tuple[dict[str, Any], ...] = tuple(
    {"id": str(n), "name": f"User {n}", "username": f"@user{n}", "birthday": 1970 + 7 * n}
    for n in range(1, 7)
)

PRODUCTS: tuple[dict[str, Any], ...] = tuple(
    {"upc": str(n), "name": f"Product {n}", "price": 300 * n, "weight": 50 + 25 * n}
    for n in range(1, 7)
)

IN_STOCK: dict[str, bool] = {product["upc"]: int(product["upc"]) % 3 != 0 for product in PRODUCTS}

# Review k belongs to user k // 2 and to product 5k mod 6: five is prime to six, so each
# product gets exactly two reviews.
REVIEWS: tuple[dict[str, Any], ...] = tuple(
    {
        "id": str(k + 1),
        "body": f"Review {k + 1}: {'great' if k % 2 else 'fine'} value",
        "author_id": USERS[k // 2]["id"],
        "product_upc": PRODUCTS[(5 * k) % 6]["upc"],
    }
    for k in range(12)
)


def shipping_estimate(price: int, weight: int) -> int:
    """Free above a price, otherwise half the weight: depends only on the @requires fields."""
    return 0 if price > 1000 else weight // 2
