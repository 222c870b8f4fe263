// Probes shared by the request files: what a refused call must leave unchanged.

/** Audited changes: every audit row except `api_key.call`, which each API-key call writes, refused or not (docs/api-keys.md). */
export const auditedChanges = "SELECT count(*)::text FROM audit_log WHERE action <> 'api_key.call'";
