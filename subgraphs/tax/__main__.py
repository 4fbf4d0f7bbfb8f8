import sys

from subgraphs.common.serve import main
from subgraphs.tax.app import create_tax_app

sys.exit(main("tax", create_tax_app))
