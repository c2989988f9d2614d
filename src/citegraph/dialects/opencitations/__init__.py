"""The OpenCitations dialects: Index API v2 and v1, the legacy COCI API, and the v1 REST wrapper (spec §3)."""
