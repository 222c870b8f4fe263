// Envelope ciphertexts made with node:crypto directly (AES-256-GCM), in the format of
// api/keys/envelope.ts as docs/certificate.md and the module's header describe it:
//   version 0x01 || iv (12 bytes) || ciphertext || tag (16 bytes), AAD as UTF-8.
// The module must open these; nothing here imports the project's code.
//
// Regenerate with: node test/vectors/envelope.ts > test/vectors/envelope.json
import { createCipheriv } from "node:crypto";

function seal(keyHex: string, ivHex: string, plaintext: Buffer, aad: string, version = 0x01): string {
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(keyHex, "hex"), Buffer.from(ivHex, "hex"));
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(version), Buffer.from(ivHex, "hex"), body, cipher.getAuthTag()]).toString("hex");
}

const masterKeyId = "vector-k1";
const masterKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const dataKey = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";

const secrets = [
  { plaintext: "ABCD-EFGH-IJKL-0001", aad: "keyledger/key/v1|shop=7|batch=12|leaf=0", iv: "101112131415161718191a1b" },
  { plaintext: "点卡-密钥-2", aad: "keyledger/key/v1|shop=18446744073709551615|batch=1|leaf=4294967295", iv: "ffffffffffffffffffffffff" },
  { plaintext: "", aad: "keyledger/import/v1|shop=7|import=3", iv: "000000000000000000000000" },
];

console.log(
  JSON.stringify(
    {
      generatedBy: "node test/vectors/envelope.ts (node:crypto createCipheriv aes-256-gcm)",
      masterKeyId,
      masterKey,
      dataKey,
      wrappedDataKey: seal(masterKey, "202122232425262728292a2b", Buffer.from(dataKey, "hex"), `keyledger/data-key/v1|master=${masterKeyId}`),
      secrets: secrets.map((secret) => ({ ...secret, sealed: seal(dataKey, secret.iv, Buffer.from(secret.plaintext, "utf8"), secret.aad) })),
      // Authentic under the same key and AAD, but marked with a version the module does not know.
      versionTwo: { aad: secrets[0]!.aad, sealed: seal(dataKey, secrets[0]!.iv, Buffer.from(secrets[0]!.plaintext, "utf8"), secrets[0]!.aad, 0x02) },
    },
    null,
    2,
  ),
);
