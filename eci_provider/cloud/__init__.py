"""The ECI API: signing, the RPC client, retries, errors, and the wire codec."""
