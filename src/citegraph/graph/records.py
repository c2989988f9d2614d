"""What the dialects may know about sources' stored records, handed through the graph layer.

Dialects never import a source module (data flows one way); the few record-shape helpers a
dialect needs to serve a source's record faithfully are re-exported here.
"""

from citegraph.sources.openalex import (
    CLEANED_KEYS,
    GRAPH_FIELDS,
    SNAPSHOT_ONLY_KEYS,
    abstract_from_inverted_index,
    clean_for_clients,
    graph_field_values,
    served_value,
    splice_graph_fields,
)

__all__ = ["CLEANED_KEYS", "GRAPH_FIELDS", "SNAPSHOT_ONLY_KEYS", "abstract_from_inverted_index",
           "clean_for_clients", "graph_field_values", "served_value", "splice_graph_fields"]
