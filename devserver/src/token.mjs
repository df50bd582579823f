/**
 * LiveKit access tokens (JWT, HS256), checked as livekit-server checks them, and minted the
 * way the server SDKs mint them.
 *
 * Checks: algorithm HS256 only; `iss` names a known API key and the signature verifies with
 * its secret; `exp` present and not past; `nbf` and `iat` not in the future; 60 s leeway on
 * all three; `video.roomJoin` true for joining; `sub` is the identity.
 */
import { createSecretKey } from 'node:crypto';
import { SignJWT, jwtVerify, decodeJwt, decodeProtectedHeader } from 'jose';

export const LEEWAY_S = 60;

export class TokenError extends Error {
  /** status: the HTTP status the real server answers with (401 or 400). */
  constructor(message, status = 401) {
    super(message);
    this.status = status;
  }
}

/** HMAC keys made once per secret: importing a key for every token costs more than the check. */
const keyCache = new Map();
function hmacKey(secret) {
  let k = keyCache.get(secret);
  if (!k) {
    k = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keyCache.size > 64) keyCache.clear();
    keyCache.set(secret, k);
  }
  return k;
}

/**
 * Verify a token. keys: Map apiKey -> secret. Returns the claims (payload) on success,
 * throws TokenError otherwise. Never puts the token or the secret into the error text.
 */
export async function verifyToken(token, keys) {
  if (!token || typeof token !== 'string') throw new TokenError('no access token');
  let header, unverified;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch {
    throw new TokenError('malformed access token');
  }
  if (header.alg !== 'HS256') throw new TokenError(`unsupported token algorithm ${String(header.alg)}`);
  const iss = unverified.iss;
  if (!iss || !keys.has(iss)) throw new TokenError('unknown API key');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, hmacKey(keys.get(iss)), {
      algorithms: ['HS256'],
      clockTolerance: LEEWAY_S,
      requiredClaims: ['exp'],
    }));
  } catch (e) {
    throw new TokenError(`invalid access token: ${e.code ?? 'verification failed'}`);
  }
  if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + LEEWAY_S)
    throw new TokenError('invalid access token: issued in the future');
  return payload;
}

/**
 * Permissions a join needs, from the claims. Throws TokenError(401) without roomJoin and
 * TokenError(400) without identity, as the real server does. Absent can* grants mean true.
 */
export function joinGrants(claims, roomFromQuery = '') {
  const video = claims.video;
  if (!video || typeof video !== 'object') throw new TokenError('permissions denied: no video grant');
  if (video.roomJoin !== true) throw new TokenError('permissions denied: roomJoin not granted');
  const identity = typeof claims.sub === 'string' ? claims.sub : '';
  if (!identity) throw new TokenError('identity cannot be empty', 400);
  const room = typeof video.room === 'string' && video.room ? video.room : roomFromQuery;
  if (!room) throw new TokenError('room name cannot be empty', 400);
  const bool = (v) => v === undefined || v === null ? true : v === true;
  return {
    identity,
    room,
    name: typeof claims.name === 'string' ? claims.name : '',
    metadata: typeof claims.metadata === 'string' ? claims.metadata : '',
    attributes: claims.attributes && typeof claims.attributes === 'object' ? { ...claims.attributes } : {},
    canPublish: bool(video.canPublish),
    canSubscribe: bool(video.canSubscribe),
    canPublishData: bool(video.canPublishData),
    canPublishSources: Array.isArray(video.canPublishSources) ? video.canPublishSources.map(String) : [],
    hidden: video.hidden === true,
    kind: typeof claims.kind === 'string' ? claims.kind : '',
  };
}

/**
 * Mint a token. grant: the `video` claim ({roomJoin, room, canPublish, ...}).
 * ttl in seconds (default 10 minutes). Extra claims (nbf, iat, exp) may override for tests.
 */
export async function mintToken({ apiKey = 'devkey', apiSecret = 'secret', identity, name, metadata,
  attributes, grant, ttl = 600, alg = 'HS256', claims = {} }) {
  const now = Math.floor(Date.now() / 1000);
  const body = { video: grant ?? {}, ...claims };
  if (name !== undefined) body.name = name;
  if (metadata !== undefined) body.metadata = metadata;
  if (attributes !== undefined) body.attributes = attributes;
  const jwt = new SignJWT(body).setProtectedHeader({ alg, typ: 'JWT' }).setIssuer(apiKey);
  if (identity !== undefined) jwt.setSubject(identity);
  if (!('nbf' in claims)) jwt.setNotBefore(now);
  if (!('iat' in claims)) jwt.setIssuedAt(now);
  if (!('exp' in claims) && ttl !== null) jwt.setExpirationTime(now + ttl);
  return jwt.sign(hmacKey(apiSecret));
}

/** A token for the log: header.payload kept, signature cut. */
export function redactToken(token) {
  if (typeof token !== 'string') return token;
  const dot = token.lastIndexOf('.');
  return dot > 0 ? `${token.slice(0, Math.min(dot, 16))}…[redacted]` : '[redacted]';
}
