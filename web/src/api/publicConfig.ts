// The platform's public chain settings (GET /api/config/public), fetched once per page load.
export type PublicConfig = {
  chainId: string | null;
  rpcUrl: string | null;
  contracts: { registry: string; entitlement: string; payment: string | null; stablecoin: string | null; ledgerAnchor: string | null } | null;
};

let cached: Promise<PublicConfig | undefined> | undefined;

export function fetchPublicConfig(): Promise<PublicConfig | undefined> {
  cached ??= fetch("/api/config/public")
    .then((response) => (response.ok ? (response.json() as Promise<PublicConfig>) : undefined))
    .catch(() => undefined);
  return cached;
}
