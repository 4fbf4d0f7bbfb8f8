"""What every agency subgraph shares: settings, identity, database access, batching, the app.

Import from the module that defines a name (`subgraphs.common.db.Database`); this package
exports nothing so each agency's dependencies stay visible at the import site.
"""
