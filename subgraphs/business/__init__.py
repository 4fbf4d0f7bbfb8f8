"""The business register: companies, the people in them and what happened to the companies."""
