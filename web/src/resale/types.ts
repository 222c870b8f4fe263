// Names for the resale and wallet answers (api/http/routes/resale.ts, wallets.ts), generated
// from the OpenAPI document.
import type { Schemas } from "../api/client.ts";

export type Listing = Schemas["GetResaleListingsResponse"]["items"][number];
export type OwnedEntitlement = Schemas["GetMeEntitlementsResponse"]["items"][number];
export type ResalePurchase = Schemas["ResalePurchase"];
export type RevealedEntitlement = Schemas["PostEntitlementsEntitlementIdRevealResponse"];
export type Timeline = Schemas["GetEntitlementsEntitlementIdTimelineResponse"];
export type TimelineStep = Timeline["steps"][number];
export type LinkedWallet = Schemas["GetMeWalletsResponse"]["items"][number];
