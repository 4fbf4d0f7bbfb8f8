"""The portal's pages, one module each; `portal/app.py` routes to them."""
