"""collecte: an open-source invoice mail hub for accounting firms."""
