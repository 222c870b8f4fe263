// A software WebAuthn authenticator for tests, built with node:crypto from the WebAuthn Level 3
// spec (sections 6.1 authenticator data, 6.5 attestation, 6.3.3 assertion) and RFC 8949 CBOR:
// an ES256 (P-256) credential, "none" attestation, user presence and verification flags it
// can leave out. The verifier under test is @simplewebauthn/server; this is outside code.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

type Cbor = number | string | Buffer | Cbor[] | Map<number | string, Cbor>;

/** RFC 8949 encoding of the few types WebAuthn needs: integers, byte and text strings, arrays, maps. */
export function cborEncode(value: Cbor): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.of((major << 5) | length);
    if (length < 0x100) return Buffer.of((major << 5) | 24, length);
    if (length < 0x10000) return Buffer.of((major << 5) | 25, length >> 8, length & 0xff);
    const out = Buffer.alloc(5);
    out[0] = (major << 5) | 26;
    out.writeUInt32BE(length, 1);
    return out;
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cborEncode)]);
  const parts: Buffer[] = [head(5, value.size)];
  for (const [key, item] of value) parts.push(cborEncode(key), cborEncode(item));
  return Buffer.concat(parts);
}

const flagUserPresent = 0x01;
const flagUserVerified = 0x04;
const flagAttestedCredentialData = 0x40;

export type SoftCredential = { id: Buffer; privateKey: KeyObject; publicKey: KeyObject; signCount: number; userHandle?: Buffer };

export type CeremonyOptions = { origin: string; rpId: string; userVerified?: boolean; userPresent?: boolean; type?: string };

function b64url(bytes: Buffer): string {
  return bytes.toString("base64url");
}

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), "utf8");
}

function flags(options: CeremonyOptions): number {
  return (options.userPresent === false ? 0 : flagUserPresent) | (options.userVerified === false ? 0 : flagUserVerified);
}

/** The credential's public key as a COSE_Key (RFC 9053: kty EC2, alg ES256, crv P-256, x, y). */
function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  return cborEncode(
    new Map<number, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, "base64url")],
      [-3, Buffer.from(jwk.y!, "base64url")],
    ]),
  );
}

export function newCredential(): SoftCredential {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { id: randomBytes(32), privateKey, publicKey, signCount: 0 };
}

/** navigator.credentials.create's answer (RegistrationResponseJSON) for `challenge`. */
export function attest(credential: SoftCredential, challenge: string, options: CeremonyOptions) {
  const clientDataJSON = clientData(options.type ?? "webauthn.create", challenge, options.origin);
  const rpIdHash = createHash("sha256").update(options.rpId).digest();
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(credential.signCount);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(credential.id.length);
  const authData = Buffer.concat([
    rpIdHash,
    Buffer.of(flags(options) | flagAttestedCredentialData),
    counter,
    Buffer.alloc(16),
    idLength,
    credential.id,
    coseKey(credential.publicKey),
  ]);
  const attestationObject = cborEncode(
    new Map<string, Cbor>([
      ["fmt", "none"],
      ["attStmt", new Map()],
      ["authData", authData],
    ]),
  );
  return {
    id: b64url(credential.id),
    rawId: b64url(credential.id),
    type: "public-key" as const,
    clientExtensionResults: {},
    response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ["internal" as const] },
  };
}

/** navigator.credentials.get's answer (AuthenticationResponseJSON): signs authData ‖ SHA-256(clientDataJSON). */
export function assert(credential: SoftCredential, challenge: string, options: CeremonyOptions) {
  credential.signCount += 1;
  const clientDataJSON = clientData(options.type ?? "webauthn.get", challenge, options.origin);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(credential.signCount);
  const authData = Buffer.concat([createHash("sha256").update(options.rpId).digest(), Buffer.of(flags(options)), counter]);
  const signature = sign("sha256", Buffer.concat([authData, createHash("sha256").update(clientDataJSON).digest()]), credential.privateKey);
  return {
    id: b64url(credential.id),
    rawId: b64url(credential.id),
    type: "public-key" as const,
    clientExtensionResults: {},
    response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(signature) },
  };
}
