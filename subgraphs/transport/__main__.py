import sys

from subgraphs.common.serve import main
from subgraphs.transport.app import create_transport_app

sys.exit(main("transport", create_transport_app))
