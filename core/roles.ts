// The account roles, shared by the API (authorisation), the web app (what a person may pick at
// sign-up) and the scripts (demo seed). Staff roles see orders and books but never a code or a
// salt (docs/certificate.md).
export const roles = ["buyer", "merchant", "reseller", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

/** The roles a person may give themselves at sign-up; the others are granted by an admin. */
export const selfAssignableRoles = ["buyer", "merchant", "reseller"] as const satisfies readonly Role[];
