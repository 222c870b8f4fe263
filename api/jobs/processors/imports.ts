import type { Job } from "bullmq";
import type { AppContext } from "../../context.ts";
import { AppError } from "../../../core/errors.ts";
import type { BatchTreeCache } from "../../keys/batchTree.ts";
import { runImport } from "../../keys/importKeys.ts";
import { enqueueAnchor } from "../enqueue.ts";

/** `treeCache`: the process's batch trees, which the chain writer reads for issuances. */
export async function processImport(ctx: AppContext, treeCache: BatchTreeCache, job: Job): Promise<{ batchId: string; keyCount: number } | { failed: string }> {
  const importId = BigInt((job.data as { importId: string }).importId);
  if (!ctx.chain)
    throw new AppError("chain_unavailable", "No chain configured: keys are committed to a chain-bound leaf, so imports wait.", { retryable: true });
  try {
    const { batchId, keyCount } = await runImport(
      ctx.database.db,
      ctx.keyRing,
      { chainId: ctx.chain.chainId, registry: ctx.chain.addresses.registry },
      importId,
      (processed, total) => job.updateProgress({ processed, total }),
      treeCache,
    );
    await enqueueAnchor(ctx.queues, batchId);
    return { batchId: String(batchId), keyCount };
  } catch (error) {
    // Expected failures (duplicates) are recorded on the import by runImport; retrying them
    // cannot succeed, so the job ends here instead of burning its attempts.
    if (error instanceof AppError && !error.retryable) return { failed: error.code };
    throw error;
  }
}
