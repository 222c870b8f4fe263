// The owner of an entitlement's three states (0100_core.sql, 0101_core_redemption.sql): every
// UPDATE that moves one of them is composed from the transitions named here, and the trigger
// of 0210_keys_state_transitions.sql refuses any move not listed. docs/states.md draws them.
import { defineStateMachine } from "./stateMachine.ts";

/** What the holder may still do with the code: sealed (unseen, resellable) until revealed or revoked. */
export const entitlementLifecycle = defineStateMachine({
  table: "entitlements",
  column: "state",
  states: ["sealed", "redeemed", "revoked"],
  nullable: false,
  transitions: {
    /** The code is revealed (by its owner, or seen locked on-chain): redemption. */
    reveal: { from: ["sealed"], to: "redeemed" },
    /** A merchant or admin revokes it (chargeback, fraud), or the chain shows it revoked. */
    revoke: { from: ["sealed", "redeemed"], to: "revoked" },
  },
});

/**
 * The ERC-721 token's issuance. 'failed' is accepted by the CHECK constraint and read by the web
 * app, but no writer sets it, so no transition leads to it (docs/states.md).
 */
export const entitlementIssuance = defineStateMachine({
  table: "entitlements",
  column: "issue_state",
  states: ["pending", "submitted", "included", "confirmed", "failed"],
  nullable: false,
  transitions: {
    /** The chain writer stores the transaction hash before broadcasting it. */
    submit: { from: ["pending"], to: "submitted" },
    /** A receipt or a tentative block shows the token minted (from pending: a receipt found after the row was requeued). */
    include: { from: ["pending", "submitted"], to: "included" },
    /** The indexer saw the mint in a final block, whatever the platform knew of it. */
    confirm: { from: ["pending", "submitted", "included"], to: "confirmed" },
    /** The transaction failed or was never seen, or its block was orphaned: send again. */
    requeue: { from: ["submitted", "included"], to: "pending" },
  },
});

/** The on-chain record of a redemption (locking the token); null while nothing is to record. */
export const entitlementRedemption = defineStateMachine({
  table: "entitlements",
  column: "redeem_state",
  states: ["pending", "submitted", "included", "confirmed", "failed"],
  nullable: true,
  transitions: {
    /** Revealing the code queues its redemption for the chain writer. */
    queue: { from: [null], to: "pending" },
    submit: { from: ["pending"], to: "submitted" },
    include: { from: ["pending", "submitted"], to: "included" },
    /** A final Locked event: confirms the queued redemption, or records one the platform never saw. */
    confirm: { from: [null, "pending", "submitted", "included"], to: "confirmed" },
    /** The redeem transaction reverted or was never seen: send again. */
    requeue: { from: ["submitted"], to: "pending" },
    /** Revocation drops a redemption not yet sent (revoke locks the token anyway). */
    drop: { from: ["pending"], to: null },
  },
});

export const entitlementStateMachines = [entitlementLifecycle, entitlementIssuance, entitlementRedemption] as const;

/** SET list of a reveal: the entitlement becomes redeemed now and its redemption is queued. */
export const revealAssignments = `${entitlementLifecycle.set("reveal")}, revealed_at = now(), ${entitlementRedemption.set("queue")}`;

/** SET list of a revocation: revoked, and a redemption not yet sent is dropped. */
export const revokeAssignments = `${entitlementLifecycle.set("revoke")}, ${entitlementRedemption.advance("drop")}`;
