import sys

from subgraphs.common.serve import main
from subgraphs.social_insurance.app import create_social_insurance_app

sys.exit(main("social_insurance", create_social_insurance_app))
