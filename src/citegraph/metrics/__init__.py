"""Pure functions over citations and works: OCIs, timespans, self-citation (no store, no I/O)."""

from citegraph.metrics.oci import OciError, decode_oci, doi_oci, omid_oci
from citegraph.metrics.selfcite import author_self_citation, journal_self_citation
from citegraph.metrics.timespan import DateError, timespan

__all__ = ["DateError", "OciError", "author_self_citation", "decode_oci", "doi_oci", "journal_self_citation",
           "omid_oci", "timespan"]
