// The COPY rows of one chunk of an import's keys: each secret encrypted under the shop's data
// key with a fresh IV and its own AAD (shop, batch, leaf), beside the key's stored hashes, in
// COPY's binary format (core/store/copyRows.ts). A pure, synchronous function of its input, so
// that the import job can run it in a worker thread (keyRowsWorker.ts) on the second core while
// the database writes the previous chunk, or in its own thread for an import of one chunk.
import { BinaryCopyRows } from "../../core/store/copyRows.ts";
import { keyAad } from "./envelope.ts";

/** What every chunk of one import is built from: the keys and their 32-byte values packed in key order. */
export type KeyRowsInput = {
  shopId: bigint;
  productId: bigint;
  batchId: bigint;
  keys: readonly string[];
  /** 32 bytes a key each, key i at 32 * i. */
  hashes: Uint8Array;
  salts: Uint8Array;
  commitments: Uint8Array;
  leafHashes: Uint8Array;
};

// No proof column: a key's proof is read from its batch's tree (batch_trees, migration 0220).
export const keyColumns = "shop_id, product_id, batch_id, leaf_index, ciphertext, dedupe_hash, salt, commitment, leaf_hash";
const keyColumnCount = 9;

/**
 * The rows of keys [start, end) in COPY's binary format. `encrypt` is the import's
 * secretEncrypter (api/keys/envelope.ts): each call draws a fresh IV.
 */
export function keyCopyRows(input: KeyRowsInput, encrypt: (plaintext: string, aad: string) => Buffer, start: number, end: number): Buffer {
  const { shopId, productId, batchId } = input;
  // About 240 bytes a row with a 26-character key: the buffer rarely grows.
  const rows = new BinaryCopyRows((end - start) * 256);
  for (let leafIndex = start; leafIndex < end; leafIndex++) {
    const at = 32 * leafIndex;
    rows
      .row(keyColumnCount)
      .int8(shopId)
      .int8(productId)
      .int8(batchId)
      .int4(leafIndex)
      .bytea(encrypt(input.keys[leafIndex]!, keyAad({ shopId, batchId, leafIndex })))
      .bytea(input.hashes.subarray(at, at + 32))
      .bytea(input.salts.subarray(at, at + 32))
      .bytea(input.commitments.subarray(at, at + 32))
      .bytea(input.leafHashes.subarray(at, at + 32));
  }
  return rows.finish();
}
