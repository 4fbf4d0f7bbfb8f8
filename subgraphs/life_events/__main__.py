import sys

from subgraphs.common.serve import main
from subgraphs.life_events.app import create_life_events_app

sys.exit(main("life_events", create_life_events_app))
