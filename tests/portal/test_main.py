"""What the portal's process writes to its log."""

from __future__ import annotations

import logging

from portal.__main__ import PathsOnly


def test_access_log_lines_keep_the_path_and_drop_the_query() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/callback?code=secret-code&state=s", "1.1", 303),
        None,
    )
    assert PathsOnly().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /callback HTTP/1.1" 303'
    assert "secret-code" not in record.getMessage()
