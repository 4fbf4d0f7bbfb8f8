"""The population register: who a citizen is, where they live and who their family is."""
