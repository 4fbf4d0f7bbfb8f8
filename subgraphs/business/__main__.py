import sys

from subgraphs.business.app import create_business_app
from subgraphs.common.serve import main

sys.exit(main("business", create_business_app))
