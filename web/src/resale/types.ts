// Shapes of the resale and wallet API (api/http/routes/resale.ts, wallets.ts).
export type Listing = {
  id: string; entitlementId: string; productId: string; priceMinor: string; currency: string; createdAt: string;
  provenance: { batchId: string; anchored: boolean; anchorTx: string | null; issued: boolean; tokenId: string | null; issueTx: string | null; transferCount: number };
};
export type OwnedEntitlement = { id: string; productId: string; state: string; tokenId: string | null; issueState: string; inCustody: boolean; wallet: string | null; listingId: string | null };
export type ResalePurchase = { id: string; listingId: string; priceMinor: string; currency: string; state: string; expiresAt: string; paymentUrl: string };
export type RevealedEntitlement = { entitlementId: string; state: "redeemed"; code: string; tokenId: string | null };
export type TimelineStep = { kind: string; transactionHash: string | null; time: string | null; details: Record<string, unknown> };
export type Timeline = { entitlementId: string; tokenId: string | null; state: string; steps: TimelineStep[] };
export type LinkedWallet = { address: string; linkedAt: string };
