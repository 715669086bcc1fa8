"""`python -m services.case_status`: run the service on CASE_STATUS_HOST:CASE_STATUS_PORT."""

from __future__ import annotations

import logging
import sys

from services.case_status.app import create_app
from services.case_status.settings import ServiceSettings, SettingsError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = ServiceSettings.from_env()
    except SettingsError as problem:
        print(f"case-status service: {problem}", file=sys.stderr)
        return 2
    app = create_app(settings)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
