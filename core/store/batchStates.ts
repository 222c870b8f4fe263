// The owner of a batch's anchor state (0100_core.sql): every UPDATE that moves it is composed
// from the transitions named here, and the trigger of 0210_keys_state_transitions.sql refuses
// any move not listed. docs/states.md draws them.
import { defineStateMachine } from "./stateMachine.ts";

/**
 * The commitment of the batch's Merkle root on-chain; its keys are sellable once it is included.
 * 'failed' is accepted by the CHECK constraint and read by the web app, but no writer sets it,
 * so no transition leads to it (docs/states.md).
 */
export const batchAnchor = defineStateMachine({
  table: "batches",
  column: "anchor_state",
  states: ["pending", "submitted", "included", "confirmed", "failed"],
  nullable: false,
  transitions: {
    /** The chain writer stores the transaction hash before broadcasting it. */
    submit: { from: ["pending"], to: "submitted" },
    /** A receipt, the root found on-chain, or a tentative block shows the root committed. */
    include: { from: ["pending", "submitted"], to: "included" },
    /** The indexer saw the anchor in a final block, whatever the platform knew of it. */
    confirm: { from: ["pending", "submitted", "included"], to: "confirmed" },
    /** The anchor's block was orphaned by a reorganisation: send again. */
    requeue: { from: ["submitted", "included"], to: "pending" },
  },
});

export const batchStateMachines = [batchAnchor] as const;
