import sys

from subgraphs.common.serve import main
from subgraphs.population.app import create_population_app

sys.exit(main("population", create_population_app))
