/* LiveKit access tokens: JWTs signed with HS256 by an API key's secret.
 *
 * Minting follows the server SDKs and the `lk` CLI: header {"alg":"HS256",
 * "typ":"JWT"}, claims iss (API key), sub (identity), nbf, iat, exp, name,
 * metadata and a "video" grant {room, roomJoin, canPublish, canSubscribe,
 * canPublishData, hidden}. Decoding reads the same claims back; verifying
 * also checks the signature and the time window (60 s leeway, as the server).
 *
 * Secrets and tokens never appear in anything this module logs or returns
 * as an error; alto_token_redact() is what log lines must use.
 *
 * Thread: any; pure functions. Returns 0 or a negative errno. */
#ifndef ALTO_TOKEN_H
#define ALTO_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#define ALTO_TOKEN_LEEWAY_S 60

struct alto_token_grants {
	const char *identity;          /* sub; required, non-empty */
	const char *name;              /* display name, NULL to leave out */
	const char *metadata;          /* NULL to leave out */
	const char *room;              /* video.room, NULL to leave out */
	bool room_join;
	bool can_publish;
	bool can_subscribe;
	bool can_publish_data;
	bool hidden;
};

struct alto_token_claims {
	char *api_key;                 /* iss */
	char *identity;                /* sub */
	char *name;
	char *metadata;
	char *room;                    /* video.room, NULL when absent */
	int64_t exp, nbf, iat;         /* seconds since the epoch, 0 when absent */
	bool has_video;
	bool room_join;
	/* absent can* grants mean "allowed", as in livekit-server */
	bool can_publish;
	bool can_subscribe;
	bool can_publish_data;
	bool hidden;
};

/* Mints a token valid from now for valid_for seconds (> 0). *token is newly
 * allocated (free()). -EINVAL for a missing key/secret/identity. */
int alto_token_mint(const char *api_key, const char *api_secret,
		    const struct alto_token_grants *grants, int64_t now,
		    int64_t valid_for, char **token);

/* Reads the claims without checking the signature (to learn the room and
 * identity of a token given by the user). -EBADMSG when it is not a JWT.
 * claims must be cleared with alto_token_claims_clear() after success. */
int alto_token_decode(const char *token, struct alto_token_claims *claims);

/* Decodes and checks algorithm, signature and time window at now.
 * -EBADMSG malformed, -EACCES wrong algorithm or signature, -EKEYEXPIRED
 * expired or without exp, -EKEYREJECTED not valid yet (nbf/iat ahead).
 * claims may be NULL; when not, it is filled on success only. */
int alto_token_verify(const char *token, const char *api_secret, int64_t now,
		      struct alto_token_claims *claims);

void alto_token_claims_clear(struct alto_token_claims *claims);

/* What a log line shows instead of a token: "[token redacted, N bytes]".
 * Newly allocated (free()). */
char *alto_token_redact(const char *token);

/* Parses a Go-style duration as `lk token create --valid-for` takes it:
 * one or more <integer><unit> with units s, m, h, d ("6h", "1h30m", "90s"),
 * or a plain number of seconds. *seconds > 0 on success; -EINVAL otherwise. */
int alto_token_parse_duration(const char *text, int64_t *seconds);

#endif
