// The one condition under which a key may be picked for a sale, an allocation or a replacement
// (migration 1570): it is 'available' and its batch is released, that is, its batch's root was
// committed on-chain first (docs/DESIGN invariant "committed inventory"). Every key-picking query
// composes it after its index condition on status = 'available' (keys_available_idx and
// keys_pool_available_idx), so the index still orders the candidates and the check is one
// primary-key lookup of the batch per candidate. docking_restock() (core/store/functions) writes
// the same condition in SQL.
import { sql, type SQL } from "drizzle-orm";

/** `EXISTS (...)` true when the key row `alias` belongs to a released batch. */
export function keyBatchReleased(alias: string): SQL {
  return sql.raw(`EXISTS (SELECT 1 FROM batches released WHERE released.id = ${alias}.batch_id AND released.keys_released_at IS NOT NULL)`);
}
