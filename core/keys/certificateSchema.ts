// The certificate's format (docs/certificate.md): a public interface, versioned. The builder
// produces it and every verifier validates it with this schema first, so both agree on one
// definition. Numbers that may exceed 2^53 are decimal strings; bytes are 0x-prefixed hex.
import { z } from "zod";
import { leafEncoding, leafFieldNames } from "./leaf.ts";

// Version 2 withholds the salt of a sealed entitlement (commitment.salt is null): with the salt
// and the commitment a short code is found by brute force in seconds. Version 1 always carried
// it; verifiers still accept version 1 certificates handed out before.
export const certificateVersion = "keyledger-certificate/2";
export const certificateVersions = ["keyledger-certificate/1", certificateVersion] as const;
export const commitmentScheme = "keccak256(abi.encodePacked(bytes32 salt, bytes utf8(key)))";
export const leafScheme = "oz-standard-v1";

const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "must be a decimal integer string");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 20-byte hex address");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 32 bytes of hex");

// Bounds: a batch holds at most 2^32 leaves (uint32 index), so a proof has at most 32 hashes.
const proofHashesMax = 32;

export const certificateSchema = z
  .strictObject({
    version: z.enum(certificateVersions),
    chain: z.strictObject({ chainId: decimal, registry: address, entitlement: address }),
    shop: z.strictObject({ id: decimal, issuer: address.nullable() }),
    productId: decimal,
    batch: z.strictObject({
      id: decimal,
      root: bytes32,
      keyCount: z
        .number()
        .int()
        .min(1)
        .max(2 ** 32),
      anchor: z.strictObject({ transaction: bytes32, block: decimal }).nullable(),
    }),
    leaf: z.strictObject({
      index: z
        .number()
        .int()
        .min(0)
        .max(2 ** 32 - 1),
      scheme: z.literal(leafScheme),
      fields: z.tuple([
        z.literal(leafFieldNames[0]),
        z.literal(leafFieldNames[1]),
        z.literal(leafFieldNames[2]),
        z.literal(leafFieldNames[3]),
        z.literal(leafFieldNames[4]),
        z.literal(leafFieldNames[5]),
      ]),
      types: z.tuple([
        z.literal(leafEncoding[0]),
        z.literal(leafEncoding[1]),
        z.literal(leafEncoding[2]),
        z.literal(leafEncoding[3]),
        z.literal(leafEncoding[4]),
        z.literal(leafEncoding[5]),
      ]),
      values: z.tuple([decimal, address, decimal, decimal, decimal, bytes32]),
      hash: bytes32,
    }),
    // null: withheld, because the entitlement is sealed (version 2 only); released with the code.
    commitment: z.strictObject({ scheme: z.literal(commitmentScheme), salt: bytes32.nullable(), value: bytes32 }),
    proof: z.array(bytes32).max(proofHashesMax),
    issuance: z.strictObject({ tokenId: decimal, transaction: bytes32, block: decimal }).nullable(),
  })
  .refine((certificate) => certificate.version !== "keyledger-certificate/1" || certificate.commitment.salt !== null, {
    path: ["commitment", "salt"],
    message: "a keyledger-certificate/1 always carries the salt",
  });

export type Certificate = z.infer<typeof certificateSchema>;
